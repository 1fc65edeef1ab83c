/**
 * The DICOM conformance suite's fixtures and oracle. The shared samples are decompressed to a
 * base file, then re-encoded by dcmtk and GDCM into transfer syntaxes, photometric
 * interpretations, planar configurations and multi-frame layouts (with and without a basic
 * offset table), all into a temp folder. The oracle is the same tools decoding each variant:
 * dcmconv/gdcmconv to native pixels, gdcmraw to pull the pixel bytes out, dcmj2pnm/dcm2pnm for
 * the rendering.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runTool } from './dcmtk';
import { buildDicom, grayImage, type El } from './buildDicom';

export const TOOLS = [
  'dcmconv',
  'dcmcjpeg',
  'dcmdjpeg',
  'dcmcrle',
  'dcmcjpls',
  'dcmj2pnm',
  'dcml2pnm',
  'dcm2pnm',
  'gdcmconv',
  'gdcmimg',
  'gdcmraw',
  'opj_compress',
];

/** The tools of TOOLS that are not on this machine. */
export function missingTools(): string[] {
  const dirs = (process.env.PATH ?? '/usr/bin').split(':');
  return TOOLS.filter((t) => !dirs.some((d) => fs.existsSync(path.join(d, t))));
}

export interface Variant {
  /** source sample / how it was made, e.g. "MR_small dcmcrle -ot (3 frames)". */
  name: string;
  file: string;
  lossy: boolean;
}

export interface VariantFailure {
  name: string;
  reason: string;
}

async function tool(cmd: string, args: string[]): Promise<void> {
  const r = await runTool(cmd, args, 60_000);
  if (r.code !== 0)
    throw new Error(
      `${cmd} ${args.slice(0, -2).join(' ')} failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-1)[0]}`,
    );
}

type Recipe = { name: string; lossy?: boolean; make: (input: string, output: string) => Promise<void> };

const dcmtk =
  (cmd: string, ...opts: string[]) =>
  (i: string, o: string) =>
    tool(cmd, [...opts, i, o]);
const gdcm =
  (...opts: string[]) =>
  (i: string, o: string) =>
    tool('gdcmconv', [...opts, i, o]);

/**
 * OpenJPEG's encoder on the base's pixels (dcm2pnm writes them as a PPM), wrapped by gdcmimg:
 * a 3-component codestream with the reversible (RCT) or irreversible (ICT) colour transform,
 * which GDCM labels YBR_RCT / YBR_ICT (gdcmconv itself cannot make these).
 */
const openjpeg = (opts: string[]) => async (i: string, o: string) => {
  const ppm = `${o}.ppm`;
  const j2k = `${o}.j2k`;
  await tool('dcm2pnm', ['--write-raw-pnm', i, ppm]);
  await tool('opj_compress', ['-i', ppm, '-o', j2k, ...opts]);
  await tool('gdcmimg', ['-i', j2k, '-o', o]);
};

/** Re-encodings of a monochrome base. */
const MONO: Recipe[] = [
  { name: 'implicit VR (dcmconv +ti)', make: dcmtk('dcmconv', '+ti') },
  { name: 'big endian (dcmconv +tb)', make: dcmtk('dcmconv', '+tb') },
  { name: 'deflated (dcmconv +td)', make: dcmtk('dcmconv', '+td') },
  { name: 'RLE (dcmcrle)', make: dcmtk('dcmcrle') },
  { name: 'RLE (gdcmconv --rle)', make: gdcm('--rle') },
  { name: 'JPEG lossless SV1 (dcmcjpeg +e1)', make: dcmtk('dcmcjpeg', '+e1') },
  { name: 'JPEG lossless P14 (dcmcjpeg +el)', make: dcmtk('dcmcjpeg', '+el') },
  { name: 'JPEG lossless (gdcmconv --jpeg)', make: gdcm('--jpeg') },
  { name: 'JPEG baseline (dcmcjpeg +eb)', lossy: true, make: dcmtk('dcmcjpeg', '+eb') },
  { name: 'JPEG extended (dcmcjpeg +ee)', lossy: true, make: dcmtk('dcmcjpeg', '+ee') },
  { name: 'JPEG-LS lossless (dcmcjpls)', make: dcmtk('dcmcjpls') },
  { name: 'JPEG-LS near-lossless (dcmcjpls +en)', lossy: true, make: dcmtk('dcmcjpls', '+en') },
  { name: 'JPEG-LS lossless (gdcmconv --jpegls)', make: gdcm('--jpegls') },
  { name: 'JPEG 2000 lossless (gdcmconv --j2k)', make: gdcm('--j2k') },
  { name: 'JPEG 2000 lossy (gdcmconv --j2k -Y -q 40)', lossy: true, make: gdcm('--j2k', '-Y', '-q', '40') },
];

/** Re-encodings of an RGB base (planar configuration 0). */
const COLOR: Recipe[] = [
  { name: 'planar 1 (gdcmconv --planar-configuration 1)', make: gdcm('--raw', '--planar-configuration', '1') },
  { name: 'YBR_FULL (gdcmconv -P YBR_FULL)', make: gdcm('--raw', '-P', 'YBR_FULL') },
  { name: 'big endian (dcmconv +tb)', make: dcmtk('dcmconv', '+tb') },
  { name: 'RLE (dcmcrle)', make: dcmtk('dcmcrle') },
  {
    name: 'RLE planar 1 (gdcmconv --rle --planar-configuration 1)',
    make: gdcm('--rle', '--planar-configuration', '1'),
  },
  { name: 'JPEG baseline YBR_FULL_422 (dcmcjpeg +eb)', lossy: true, make: dcmtk('dcmcjpeg', '+eb') },
  { name: 'JPEG baseline YBR_FULL 4:4:4 (dcmcjpeg +eb +s4)', lossy: true, make: dcmtk('dcmcjpeg', '+eb', '+s4') },
  { name: 'JPEG baseline RGB, no transform (dcmcjpeg +eb +cr)', lossy: true, make: dcmtk('dcmcjpeg', '+eb', '+cr') },
  { name: 'JPEG lossless SV1 (dcmcjpeg +e1)', make: dcmtk('dcmcjpeg', '+e1') },
  { name: 'JPEG-LS lossless (dcmcjpls)', make: dcmtk('dcmcjpls') },
  { name: 'JPEG-LS lossless (gdcmconv --jpegls)', make: gdcm('--jpegls') },
  { name: 'JPEG 2000 lossless (gdcmconv --j2k)', make: gdcm('--j2k') },
  {
    name: 'JPEG 2000 lossless of YBR_FULL, no colour transform (gdcmconv -P YBR_FULL, --j2k)',
    make: async (i, o) => {
      await tool('gdcmconv', ['--raw', '-P', 'YBR_FULL', i, `${o}.ybr.dcm`]);
      await tool('gdcmconv', ['--j2k', `${o}.ybr.dcm`, o]);
    },
  },
  { name: 'JPEG 2000 lossless, YBR_RCT (opj_compress, gdcmimg)', make: openjpeg([]) },
  {
    name: 'JPEG 2000 lossy, YBR_ICT (opj_compress -I -r 10, gdcmimg)',
    lossy: true,
    make: openjpeg(['-I', '-r', '10']),
  },
];

/** Re-encodings of a 3-frame monochrome base: offset table or none, one or several fragments per frame. */
const MULTIFRAME: Recipe[] = [
  { name: 'native', make: (i, o) => fs.promises.copyFile(i, o) },
  { name: 'RLE with offset table (dcmcrle +ot)', make: dcmtk('dcmcrle', '+ot') },
  { name: 'RLE without offset table (dcmcrle -ot)', make: dcmtk('dcmcrle', '-ot') },
  { name: 'JPEG lossless with offset table (dcmcjpeg +e1 +ot)', make: dcmtk('dcmcjpeg', '+e1', '+ot') },
  {
    name: 'JPEG lossless, no offset table, 1 KiB fragments (dcmcjpeg +e1 -ot +fs 1)',
    make: dcmtk('dcmcjpeg', '+e1', '-ot', '+fs', '1'),
  },
  { name: 'JPEG baseline without offset table (dcmcjpeg +eb -ot)', lossy: true, make: dcmtk('dcmcjpeg', '+eb', '-ot') },
  { name: 'JPEG-LS without offset table (dcmcjpls -ot)', make: dcmtk('dcmcjpls', '-ot') },
  { name: 'JPEG 2000 lossless (gdcmconv --j2k)', make: gdcm('--j2k') },
];

/** A 3-frame file written by gdcmimg from a base's pixels: the frame, its inverse, the frame again. */
async function multiframeBase(base: string, dir: string, width: number, height: number): Promise<string> {
  const raw = path.join(dir, 'mf-frame.raw');
  await tool('gdcmraw', ['-t', '7fe0,0010', '-i', base, '-o', raw]);
  const f = fs.readFileSync(raw);
  const inv = Buffer.from(f);
  for (let i = 0; i + 1 < inv.length; i += 2) inv.writeUInt16LE(0xffff - inv.readUInt16LE(i), i);
  const all = path.join(dir, 'mf.raw');
  fs.writeFileSync(all, Buffer.concat([f, inv, f]));
  const out = path.join(dir, 'mf-base.dcm');
  await tool('gdcmimg', ['--size', `${width},${height},3`, '--depth', '16', '--sign', '0', '-i', all, '-o', out]);
  return out;
}

/** A PALETTE COLOR image (8-bit indices, a 256-entry palette of 16- or 8-bit entries), written here. */
function paletteFile(file: string, bits: 8 | 16): void {
  const side = 64;
  const px = new Uint8Array(side * side).map((_, i) => ((i % side) * 3 + Math.floor(i / side) * 5) % 256);
  const ch = (i: number, c: number) => [(i * 37) % 256, (i * 91 + 40) % 256, (i * 11 + 200) % 256][c]!;
  const lut: El[] = [];
  for (let c = 0; c < 3; c++) lut.push({ tag: 0x00281101 + c, vr: 'US', value: [256, 0, bits] });
  for (let c = 0; c < 3; c++)
    lut.push({
      tag: 0x00281201 + c,
      vr: 'OW',
      value: new Uint16Array(256).map((_, i) => (bits === 16 ? ch(i, c) * 257 : ch(i, c))),
    });
  const els = grayImage({ rows: side, cols: side, pixels: px, bitsAllocated: 8, photometric: 'PALETTE COLOR' }, [
    { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
    { tag: 0x00080060, vr: 'CS', value: 'OT' },
    ...lut,
  ]);
  fs.writeFileSync(file, buildDicom(els, { mediaStorageSopClass: '1.2.840.10008.5.1.4.1.1.7' }));
}

export interface Source {
  sample: string;
  kind: 'mono' | 'color';
  multiframe?: { width: number; height: number };
}

/** The shared samples the suite starts from: small enough to re-encode ~50 times in a minute. */
export const SOURCES: Source[] = [
  { sample: 'MR_small_RLE.dcm', kind: 'mono', multiframe: { width: 64, height: 64 } },
  { sample: 'CT_small.dcm', kind: 'mono' },
  { sample: 'image_dfl.dcm', kind: 'mono' },
  { sample: 'SC_rgb_jpeg_dcmtk.dcm', kind: 'color' },
];

/** Runs `fn` over `items`, `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Makes every variant into `dir`; the ones a tool refuses are returned as failures, with its words. */
export async function generateVariants(
  sampleDir: string,
  dir: string,
): Promise<{ variants: Variant[]; failures: VariantFailure[] }> {
  const variants: Variant[] = [];
  const failures: VariantFailure[] = [];
  const jobs: { name: string; lossy: boolean; input: string; output: string; make: Recipe['make'] }[] = [];
  for (const src of SOURCES) {
    const stem = src.sample.replace(/\.dcm$/, '');
    const base = path.join(dir, `${stem}-base.dcm`);
    // The base: the sample decompressed to explicit VR little endian; colour by dcmdjpeg, which
    // also turns YBR into RGB (GDCM would keep the JPEG's YBR_FULL).
    if (src.kind === 'color') await tool('dcmdjpeg', ['+te', path.join(sampleDir, src.sample), base]);
    else await tool('gdcmconv', ['--raw', '-X', path.join(sampleDir, src.sample), base]);
    variants.push({
      name: `${stem} base (${src.kind === 'color' ? 'dcmdjpeg' : 'gdcmconv --raw'})`,
      file: base,
      lossy: false,
    });
    const recipes = src.kind === 'mono' ? MONO : COLOR;
    recipes.forEach((r, i) =>
      jobs.push({
        name: `${stem} ${r.name}`,
        lossy: !!r.lossy,
        input: base,
        output: path.join(dir, `${stem}-${i}.dcm`),
        make: r.make,
      }),
    );
    if (src.multiframe) {
      const mf = await multiframeBase(base, dir, src.multiframe.width, src.multiframe.height);
      MULTIFRAME.forEach((r, i) =>
        jobs.push({
          name: `${stem} 3 frames, ${r.name}`,
          lossy: !!r.lossy,
          input: mf,
          output: path.join(dir, `${stem}-mf${i}.dcm`),
          make: r.make,
        }),
      );
    }
  }
  await pool(jobs, 2, async (j) => {
    try {
      await j.make(j.input, j.output);
      variants.push({ name: j.name, file: j.output, lossy: j.lossy });
    } catch (err) {
      failures.push({ name: j.name, reason: (err as Error).message });
    }
  });
  for (const bits of [8, 16] as const) {
    const file = path.join(dir, `palette-${bits}.dcm`);
    paletteFile(file, bits);
    variants.push({ name: `PALETTE COLOR, ${bits}-bit palette (written here)`, file, lossy: false });
  }
  variants.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { variants, failures };
}

export interface OracleDecode {
  /** Frame 0's pixel bytes as the tools decode them (native little endian). */
  pixels: Uint8Array;
  /** The decoded file, for its tags (photometric and planar configuration after decoding). */
  decodedFile: string;
  /** The tools' rendering of frame 0 as 8-bit gray (colour through Rec. 601 weights). */
  gray: Uint8Array;
  width: number;
  height: number;
}

const NATIVE = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.1.99', '1.2.840.10008.1.2.2']);
const J2K = new Set(['1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91']);
const JPEG = new Set([
  '1.2.840.10008.1.2.4.50',
  '1.2.840.10008.1.2.4.51',
  '1.2.840.10008.1.2.4.57',
  '1.2.840.10008.1.2.4.70',
]);
const JPEG_LS = new Set(['1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.4.81']);

/**
 * The tools' own decoding of a variant: dcmconv (native syntaxes), dcmdjpeg (JPEG, YCbCr turned
 * into RGB) or gdcmconv --raw (RLE, JPEG-LS, JPEG 2000) to explicit little endian, gdcmraw for the pixel bytes; dcmj2pnm renders (dcml2pnm for
 * JPEG-LS; dcm2pnm on GDCM's decode for JPEG 2000, which the free dcmtk does not read), with the
 * file's first window, or min–max where it has none.
 */
export async function oracleDecode(
  v: Variant,
  transferSyntax: string,
  hasWindow: boolean,
  monochrome: boolean,
  dir: string,
): Promise<OracleDecode> {
  const stem = path.join(dir, path.basename(v.file, '.dcm'));
  const decoded = `${stem}-oracle.dcm`;
  if (NATIVE.has(transferSyntax)) await tool('dcmconv', ['+te', v.file, decoded]);
  else if (JPEG.has(transferSyntax)) await tool('dcmdjpeg', ['+te', v.file, decoded]);
  else await tool('gdcmconv', ['--raw', '-X', v.file, decoded]);
  const raw = `${stem}-oracle.raw`;
  await tool('gdcmraw', ['-t', '7fe0,0010', '-i', decoded, '-o', raw]);
  const pnm = `${stem}-oracle.pnm`;
  const voi = monochrome ? (hasWindow ? ['+Wi', '1'] : ['+Wm']) : [];
  const renderer = J2K.has(transferSyntax) ? 'dcm2pnm' : JPEG_LS.has(transferSyntax) ? 'dcml2pnm' : 'dcmj2pnm';
  await tool(renderer, [...voi, '--write-raw-pnm', J2K.has(transferSyntax) ? decoded : v.file, pnm]);
  const { gray, width, height } = readPnmGray(new Uint8Array(fs.readFileSync(pnm)));
  return { pixels: new Uint8Array(fs.readFileSync(raw)), decodedFile: decoded, gray, width, height };
}

function readPnmGray(pnm: Uint8Array): { gray: Uint8Array; width: number; height: number } {
  // Header: magic, width, height, maxval, each followed by whitespace.
  const fields: string[] = [];
  let p = 0;
  while (fields.length < 4) {
    while (/\s/.test(String.fromCharCode(pnm[p]!))) p++;
    let f = '';
    while (!/\s/.test(String.fromCharCode(pnm[p]!))) f += String.fromCharCode(pnm[p++]!);
    fields.push(f);
  }
  p++;
  const [magic, w, h] = fields;
  const width = Number(w);
  const height = Number(h);
  const n = width * height;
  const body = pnm.subarray(p);
  if (magic === 'P5') return { gray: body.slice(0, n), width, height };
  const gray = new Uint8Array(n);
  for (let i = 0; i < n; i++)
    gray[i] = Math.round(0.299 * body[i * 3]! + 0.587 * body[i * 3 + 1]! + 0.114 * body[i * 3 + 2]!);
  return { gray, width, height };
}

/** Pearson correlation of two renderings (1 when both are flat). */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return saa === 0 && sbb === 0 ? 1 : sab / Math.sqrt(saa * sbb);
}
