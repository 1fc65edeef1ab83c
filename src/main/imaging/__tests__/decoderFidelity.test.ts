/**
 * The nine causes of issue 16 (files other toolkits write that import misread), one test each,
 * on real samples reshaped or on DICOM bytes written here. Each failed before its fix.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { SHARED_DATA, tempServices } from '../../../../test/helpers/tempServices';
import { runImport } from '../../import/importRun';
import { buildDicom, grayImage, type El } from '../../../../test/helpers/buildDicom';
import { readDicomImage } from '../dicom/dicomImage';
import { parseDicom } from '../dicom/parseDicom';
import { readDicomTags } from '../dicom/dicomTags';
import { screenDicom } from '../screening';
import { sniffBytes } from '../sniffFile';
import { correlation } from '../../../../test/helpers/dicomVariants';

const DICOM = path.join(SHARED_DATA, 'dicom');
const sample = (f: string) => new Uint8Array(fs.readFileSync(path.join(DICOM, f)));

function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

describe('cause 2: a File Meta group without the 128-byte preamble', () => {
  it('is read as Part 10: its meta transfer syntax (RLE) is honoured and the pixels match the original', async () => {
    const full = sample('MR_small_RLE.dcm');
    const noPreamble = full.slice(132);
    expect(sniffBytes(noPreamble.subarray(0, 132))).toBe('dicom-raw');
    const a = await readDicomImage('MR_small_RLE_no_preamble.dcm', noPreamble);
    const b = await readDicomImage('MR_small_RLE.dcm', full);
    expect(a.tags.transferSyntax).toBe('1.2.840.10008.1.2.5');
    expect(mismatches(a.frame.samples, b.frame.samples)).toBe(0);
    expect(mismatches(a.image.data, b.image.data)).toBe(0);
  });
});

describe('cause 6: a raw big-endian dataset without meta', () => {
  it('is recognised as DICOM and its 16-bit samples are byte-swapped back', async () => {
    const px = new Uint16Array([0, 1, 0x0102, 4095, 256, 2048]);
    const els = grayImage({ rows: 2, cols: 3, pixels: px, bitsStored: 12 });
    const bytes = buildDicom(els, { bigEndian: true, raw: true });
    expect(sniffBytes(bytes.subarray(0, 132))).toBe('dicom-raw');
    const d = await readDicomImage('be_no_meta.dcm', bytes);
    expect(d.tags.transferSyntax).toBe('1.2.840.10008.1.2.2');
    expect(Array.from(d.frame.samples)).toEqual(Array.from(px));
  });
});

/** An RT Plan (no image) whose beam sequence is cut off mid-item. */
function truncatedRtPlan(): Uint8Array {
  const els: El[] = [
    { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.481.5' },
    { tag: 0x00080018, vr: 'UI', value: '1.2.826.0.1.3680043.9.9999.16.9' },
    { tag: 0x00080060, vr: 'CS', value: 'RTPLAN' },
    { tag: 0x00100020, vr: 'LO', value: 'TEST16' },
    { tag: 0x300a0002, vr: 'SH', value: 'PLAN1' },
    {
      tag: 0x300a00b0,
      vr: 'SQ',
      value: [1, 2, 3].map((n) => ({
        elements: [
          { tag: 0x300a00c0, vr: 'IS', value: String(n) },
          { tag: 0x300a00c2, vr: 'LO', value: `BEAM ${n} WITH A LONG NAME` },
        ],
      })),
    },
  ];
  const full = buildDicom(els, { mediaStorageSopClass: '1.2.840.10008.5.1.4.1.1.481.5' });
  return full.slice(0, full.length - 30);
}

describe('cause 9: a truncated RT Plan', () => {
  it('parses as far as it goes and screens as non_image_sop, not a parser error', () => {
    const ds = parseDicom(truncatedRtPlan(), 'rtplan_truncated.dcm');
    const tags = readDicomTags(ds);
    expect(tags.sopClassUid).toBe('1.2.840.10008.5.1.4.1.1.481.5');
    expect(screenDicom(tags).exclusion).toBe('non_image_sop');
  });

  it('a truncated image is still a parse error naming the file', () => {
    const els = grayImage({ rows: 4, cols: 4, pixels: new Uint16Array(16) }, [
      {
        tag: 0x00081140,
        vr: 'SQ',
        value: [{ elements: [{ tag: 0x00081150, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.1' }] }],
      },
    ]);
    // Cut inside the Referenced Image Sequence, before the pixels.
    const cut = buildDicom(els).slice(0, 200);
    expect(() => parseDicom(cut, 'cut_cr.dcm')).toThrow(/cut_cr\.dcm: not a readable DICOM dataset/);
  });
});

/** A 6x4 RGB test pattern: bars of colour over a ramp, 8 bits. */
function rgbPattern(w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      out[i] = (x * 53 + y * 7) % 256;
      out[i + 1] = (x * 17 + y * 61) % 256;
      out[i + 2] = 255 - ((x * 29 + y * 13) % 256);
    }
  }
  return out;
}

function colorImage(opts: {
  rows: number;
  cols: number;
  photometric: string;
  bits: number;
  pixels: Uint8Array;
  planar?: number;
}): El[] {
  return [
    { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
    { tag: 0x00080018, vr: 'UI', value: `1.2.826.0.1.3680043.9.9999.16.${opts.photometric.length}${opts.bits}` },
    { tag: 0x00080060, vr: 'CS', value: 'OT' },
    { tag: 0x00280002, vr: 'US', value: 3 },
    { tag: 0x00280004, vr: 'CS', value: opts.photometric },
    { tag: 0x00280006, vr: 'US', value: opts.planar ?? 0 },
    { tag: 0x00280010, vr: 'US', value: opts.rows },
    { tag: 0x00280011, vr: 'US', value: opts.cols },
    { tag: 0x00280100, vr: 'US', value: opts.bits },
    { tag: 0x00280101, vr: 'US', value: opts.bits },
    { tag: 0x00280102, vr: 'US', value: opts.bits - 1 },
    { tag: 0x00280103, vr: 'US', value: 0 },
    { tag: 0x7fe00010, vr: opts.bits === 8 ? 'OB' : 'OW', value: opts.pixels },
  ];
}

describe('cause 1: uncompressed YBR_FULL_422', () => {
  it('is sized at two samples per pixel (Y1 Y2 Cb Cr) and renders its luma', async () => {
    const w = 6;
    const h = 4;
    const rgb = rgbPattern(w, h);
    const luma = new Uint8Array(w * h);
    const ybr = new Uint8Array(w * h * 2);
    for (let p = 0; p < w * h; p += 2) {
      const ys = [p, p + 1].map((q) =>
        Math.round(0.299 * rgb[q * 3]! + 0.587 * rgb[q * 3 + 1]! + 0.114 * rgb[q * 3 + 2]!),
      );
      luma[p] = ys[0]!;
      luma[p + 1] = ys[1]!;
      ybr.set([ys[0]!, ys[1]!, 128, 128], p * 2);
    }
    const bytes = buildDicom(colorImage({ rows: h, cols: w, photometric: 'YBR_FULL_422', bits: 8, pixels: ybr }));
    const d = await readDicomImage('ybr422.dcm', bytes);
    expect(d.frame.samples.length).toBe(w * h * 2);
    expect(Array.from(d.image.data)).toEqual(Array.from(luma));
    // dcmtk reads the same file to the same gray (its RGB through the same weights), within rounding.
    if (haveDcm2pnm) {
      const theirs = await dcmtkGray(bytes);
      expect(Math.max(...Array.from(theirs, (v, i) => Math.abs(v - luma[i]!)))).toBeLessThanOrEqual(1);
    }
  });
});

/** RLE Lossless (PS3.5 G): one segment per byte of each sample, most significant first, literal runs only. */
function rleFrame(bytesPerSample: number, spp: number, samples: number[], pixels: number): Uint8Array {
  const segments: Uint8Array[] = [];
  for (let c = 0; c < spp; c++) {
    for (let b = bytesPerSample - 1; b >= 0; b--) {
      const plane = new Uint8Array(pixels);
      for (let i = 0; i < pixels; i++) plane[i] = Math.floor(samples[i * spp + c]! / 2 ** (8 * b)) & 0xff;
      const runs: number[] = [];
      for (let i = 0; i < pixels; i += 128) {
        const run = plane.subarray(i, Math.min(pixels, i + 128));
        runs.push(run.length - 1, ...run);
      }
      if (runs.length % 2) runs.push(0);
      segments.push(new Uint8Array(runs));
    }
  }
  const header = new Uint8Array(64);
  const dv = new DataView(header.buffer);
  dv.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((s, i) => {
    dv.setUint32(4 + i * 4, offset, true);
    offset += s.length;
  });
  const out = new Uint8Array(offset);
  out.set(header);
  let o = 64;
  for (const s of segments) {
    out.set(s, o);
    o += s.length;
  }
  return out;
}

/** Encapsulated pixel data: an empty basic offset table item, one fragment, the delimiter. */
function encapsulated(fragment: Uint8Array): Uint8Array {
  const frag = fragment.length % 2 ? new Uint8Array([...fragment, 0]) : fragment;
  const out = new Uint8Array(8 + 8 + frag.length + 8);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xfffe, true);
  dv.setUint16(2, 0xe000, true);
  dv.setUint16(8, 0xfffe, true);
  dv.setUint16(10, 0xe000, true);
  dv.setUint32(12, frag.length, true);
  out.set(frag, 16);
  dv.setUint16(16 + frag.length, 0xfffe, true);
  dv.setUint16(18 + frag.length, 0xe0dd, true);
  return out;
}

describe('cause 3: RLE with 32 bits allocated, RGB', () => {
  it('decodes to the 32-bit samples written (12 segments) and renders their luma', async () => {
    const w = 10;
    const h = 6;
    const samples: number[] = [];
    for (let i = 0; i < w * h * 3; i++) samples.push(((i * 2654435761) >>> 0) % 2 ** 32);
    const rle = rleFrame(4, 3, samples, w * h);
    const els = colorImage({ rows: h, cols: w, photometric: 'RGB', bits: 32, pixels: new Uint8Array(0) });
    const bytes = buildRle(els, rle);
    const d = await readDicomImage('rgb_rle_32bit.dcm', bytes);
    expect(d.frame.samples).toBeInstanceOf(Uint32Array);
    expect(Array.from(d.frame.samples)).toEqual(samples);
    const k = 255 / (2 ** 32 - 1);
    const gray = Array.from({ length: w * h }, (_, i) =>
      Math.round((0.299 * samples[i * 3]! + 0.587 * samples[i * 3 + 1]! + 0.114 * samples[i * 3 + 2]!) * k),
    );
    expect(Array.from(d.image.data)).toEqual(gray);
  });
});

/** A Part 10 RLE file: the elements' Pixel Data replaced by the encapsulated fragment. */
function buildRle(els: El[], frame: Uint8Array): Uint8Array {
  const file = buildDicom(els.map((e) => (e.tag === 0x7fe00010 ? { ...e, vr: 'OB', value: new Uint8Array(0) } : e)));
  // buildDicom wrote an empty OB Pixel Data (12-byte header) last; swap in undefined length and the items.
  const head = file.slice(0, file.length - 12);
  const px = new Uint8Array(12);
  const dv = new DataView(px.buffer);
  dv.setUint16(0, 0x7fe0, true);
  dv.setUint16(2, 0x0010, true);
  px[4] = 0x4f;
  px[5] = 0x42;
  dv.setUint32(8, 0xffffffff, true);
  const ts = '1.2.840.10008.1.2.1';
  const out = new Uint8Array([...head, ...px, ...encapsulated(frame)]);
  // The meta transfer syntax: explicit LE → RLE Lossless, same length (19 → 20 with padding: both even).
  const at = indexOf(out, new TextEncoder().encode(ts + '\0'));
  const rle = new TextEncoder().encode('1.2.840.10008.1.2.5\0');
  expect(at).toBeGreaterThan(0);
  const dvTs = new DataView(out.buffer);
  expect(dvTs.getUint16(at - 2, true)).toBe(20);
  out.set(rle, at);
  return out;
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

describe('cause 7: JPEG 2000 whose SIZ header holds an embedded sequence delimiter', () => {
  it('is repaired from the Columns tag and decodes to the same stored values as the intact file', async () => {
    const intact = sample('RG3_J2KR.dcm');
    const broken = intact.slice();
    const soc = indexOf(broken, new Uint8Array([0xff, 0x4f, 0xff, 0x51]));
    expect(soc).toBeGreaterThan(0);
    broken.set([0xfe, 0xff, 0xdd, 0xe0], soc + 6);
    const a = await readDicomImage('RG3_J2KR_esd.dcm', broken);
    const b = await readDicomImage('RG3_J2KR.dcm', intact);
    expect(mismatches(a.frame.samples, b.frame.samples)).toBe(0);
  });
});

const haveDcmtk = ['dcmcjpeg', 'dcmdjpeg'].every((t) => fs.existsSync(`/usr/bin/${t}`));
if (!haveDcmtk)
  console.log(
    'decoderFidelity: dcmtk (dcmcjpeg, dcmdjpeg) is not installed: the Adobe APP14 test is skipped (apt-get install dcmtk)',
  );

/** A 64 × 48 RGB test pattern written as DICOM and encoded by dcmtk as JPEG baseline RGB (`dcmcjpeg +eb +cr`). */
async function rgbBaselineJpeg(dir: string): Promise<{ rgb: Uint8Array; file: Uint8Array }> {
  const { runTool } = await import('../../../../test/helpers/dcmtk');
  const rgb = rgbPattern(64, 48);
  const raw = path.join(dir, 'rgb.dcm');
  fs.writeFileSync(raw, buildDicom(colorImage({ rows: 48, cols: 64, photometric: 'RGB', bits: 8, pixels: rgb }), { mediaStorageSopClass: '1.2.840.10008.5.1.4.1.1.7' }));
  const jpg = path.join(dir, 'rgb_jpeg.dcm');
  const enc = await runTool('dcmcjpeg', ['+eb', '+cr', raw, jpg]);
  expect(enc.code, enc.stderr).toBe(0);
  return { rgb, file: new Uint8Array(fs.readFileSync(jpg)) };
}

describe.skipIf(!haveDcmtk)('cause 5: JPEG baseline RGB with an Adobe APP14 "no transform" marker', () => {
  it('is decoded without a YCbCr→RGB step, even with a JFIF marker beside it (libjpeg-turbo would let JFIF win)', async () => {
    const os = await import('node:os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-adobe-'));
    try {
      const { rgb, file } = await rgbBaselineJpeg(dir);
      const soi = indexOf(file, new Uint8Array([0xff, 0xd8, 0xff]));
      expect(indexOf(file, new TextEncoder().encode('Adobe'))).toBeGreaterThan(soi);
      // Add a JFIF APP0 after SOI, and lengthen the fragment item that holds it.
      const jfif = new Uint8Array([0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
      const out = new Uint8Array([...file.subarray(0, soi + 2), ...jfif, ...file.subarray(soi + 2)]);
      const dv = new DataView(out.buffer);
      expect(dv.getUint16(soi - 8, true)).toBe(0xfffe);
      dv.setUint32(soi - 4, dv.getUint32(soi - 4, true) + jfif.length, true);
      const d = await readDicomImage('rgb_adobe_jfif.dcm', out);
      let sum = 0;
      for (let i = 0; i < rgb.length; i++) sum += Math.abs(d.frame.samples[i]! - rgb[i]!);
      // Lossy baseline of a busy pattern: within a mean of 6 of 255 per sample (a stray YCbCr→RGB step gives about 90).
      expect(sum / rgb.length).toBeLessThan(6);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a stream without markers, labelled RGB and not subsampled, is RGB as stored (as dcmtk and GDCM read it)', async () => {
    const os = await import('node:os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-nomark-'));
    try {
      const { rgb, file } = await rgbBaselineJpeg(dir);
      // Blank the Adobe marker into a COM segment, and rename the components 1, 2, 3.
      const adobe = indexOf(file, new TextEncoder().encode('Adobe'));
      expect(file[adobe - 3]).toBe(0xee);
      file[adobe - 3] = 0xfe;
      const sof = indexOf(file, new Uint8Array([0xff, 0xc0]));
      for (let c = 0; c < 3; c++) file[sof + 10 + c * 3] = c + 1;
      const sos = indexOf(file, new Uint8Array([0xff, 0xda]));
      for (let c = 0; c < 3; c++) file[sos + 5 + c * 2] = c + 1;
      const d = await readDicomImage('rgb_no_markers.dcm', file);
      let sum = 0;
      for (let i = 0; i < rgb.length; i++) sum += Math.abs(d.frame.samples[i]! - rgb[i]!);
      expect(sum / rgb.length).toBeLessThan(6);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a stream without markers labelled RGB (the GDCM lossy sample) still gets the transform its JPEG default asks for', async () => {
    const gdcm = await readDicomImage('SC_rgb_jpeg_lossy_gdcm.dcm', sample('SC_rgb_jpeg_lossy_gdcm.dcm'));
    const dcmtk = await readDicomImage('SC_rgb_jpeg_dcmtk.dcm', sample('SC_rgb_jpeg_dcmtk.dcm'));
    let sum = 0;
    for (let i = 0; i < gdcm.frame.samples.length; i++)
      sum += Math.abs(gdcm.frame.samples[i]! - dcmtk.frame.samples[i]!);
    // The same colour pattern from two lossy encoders: about 2.6 of 255; without the transform about 90.
    expect(sum / gdcm.frame.samples.length).toBeLessThan(5);
  });
});

const haveDcm2pnm = fs.existsSync('/usr/bin/dcm2pnm');
if (!haveDcm2pnm)
  console.log(
    'decoderFidelity: dcmtk (dcm2pnm) is not installed: the palette renderings are not checked against it (apt-get install dcmtk)',
  );


/** dcm2pnm's rendering of a file as 8-bit gray (its own PPM colour through the same Rec. 601 weights). */
async function dcmtkGray(bytes: Uint8Array): Promise<Uint8Array> {
  const { runTool } = await import('../../../../test/helpers/dcmtk');
  const os = await import('node:os');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-pal-'));
  try {
    fs.writeFileSync(path.join(dir, 'in.dcm'), bytes);
    const r = await runTool('dcm2pnm', ['--write-raw-pnm', path.join(dir, 'in.dcm'), path.join(dir, 'out.pnm')]);
    expect(r.code, r.stderr).toBe(0);
    const pnm = new Uint8Array(fs.readFileSync(path.join(dir, 'out.pnm')));
    const header = new TextDecoder().decode(pnm.subarray(0, 40)).split(/\s+/);
    const [magic, w, h] = header;
    const n = Number(w) * Number(h);
    const body = pnm.subarray(pnm.length - n * (magic === 'P6' ? 3 : 1));
    if (magic !== 'P6') return body.slice();
    const gray = new Uint8Array(n);
    for (let i = 0; i < n; i++)
      gray[i] = Math.round(0.299 * body[i * 3]! + 0.587 * body[i * 3 + 1]! + 0.114 * body[i * 3 + 2]!);
    return gray;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function paletteImage(indices: Uint8Array | Uint16Array, bitsAllocated: 8 | 16, lut: El[]): El[] {
  const side = Math.sqrt(indices.length);
  return grayImage({ rows: side, cols: side, pixels: indices, bitsAllocated, photometric: 'PALETTE COLOR' }, [
    { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
    { tag: 0x00080060, vr: 'CS', value: 'OT' },
    ...lut,
  ]);
}

/** A palette whose luma does not follow the index: shown as index gray it would not correlate. */
const chan = (i: number, c: number) => [(i * 37) % 256, (i * 91 + 40) % 256, (i * 11 + 200) % 256][c]!;

describe('cause 4: PALETTE COLOR goes through its palette, then to gray', () => {
  const indices8 = new Uint8Array(32 * 32).map((_, i) => (i * 7) % 256);

  it('8-bit indices, an 8-bit palette in 16-bit words', async () => {
    const lut: El[] = [];
    for (let c = 0; c < 3; c++) lut.push({ tag: 0x00281101 + c, vr: 'US', value: [256, 0, 8] });
    for (let c = 0; c < 3; c++)
      lut.push({ tag: 0x00281201 + c, vr: 'OW', value: new Uint16Array(256).map((_, i) => chan(i, c)) });
    const bytes = buildDicom(paletteImage(indices8, 8, lut));
    const d = await readDicomImage('pal8.dcm', bytes);
    const want = Array.from(indices8, (i) => Math.round(0.299 * chan(i, 0) + 0.587 * chan(i, 1) + 0.114 * chan(i, 2)));
    expect(Array.from(d.image.data)).toEqual(want);
    expect(Math.abs(correlation(d.image.data, indices8))).toBeLessThan(0.3);
    if (haveDcm2pnm) expect(correlation(d.image.data, await dcmtkGray(bytes))).toBeGreaterThan(0.99);
  });

  it('16-bit indices with a first mapped value, a 16-bit palette', async () => {
    const first = 1000;
    const indices = new Uint16Array(32 * 32).map((_, i) => first + ((i * 13) % 512));
    const lut: El[] = [];
    for (let c = 0; c < 3; c++) lut.push({ tag: 0x00281101 + c, vr: 'US', value: [512, first, 16] });
    for (let c = 0; c < 3; c++)
      lut.push({ tag: 0x00281201 + c, vr: 'OW', value: new Uint16Array(512).map((_, i) => chan(i, c) * 257) });
    const bytes = buildDicom(paletteImage(indices, 16, lut));
    const d = await readDicomImage('pal16.dcm', bytes);
    const want = Array.from(indices, (v) =>
      Math.round(0.299 * chan(v - first, 0) + 0.587 * chan(v - first, 1) + 0.114 * chan(v - first, 2)),
    );
    expect(Array.from(d.image.data)).toEqual(want);
    if (haveDcm2pnm) expect(correlation(d.image.data, await dcmtkGray(bytes))).toBeGreaterThan(0.99);
  });

  it('segmented palettes: discrete, linear and indirect segments', async () => {
    // Each channel: 4 discrete values, a linear run of 100 to a peak, the first segment again
    // (indirect, offset 0), a linear run of 148 back down: 256 entries.
    const peaks = [65535, 32896, 10280];
    const lut: El[] = [];
    const expanded: number[][] = [];
    for (let c = 0; c < 3; c++) {
      const d4 = [0, 2570 + c * 257, 5140, 7710 + c * 1285];
      const seg = [0, 4, ...d4, 1, 100, peaks[c]!, 2, 1, 0, 0, 1, 148, 0];
      lut.push({ tag: 0x00281101 + c, vr: 'US', value: [256, 0, 16] });
      lut.push({ tag: 0x00281221 + c, vr: 'OW', value: new Uint16Array(seg) });
      const y0 = d4[3]!;
      const e = [...d4];
      for (let i = 1; i <= 100; i++) e.push(Math.round(y0 + ((peaks[c]! - y0) * i) / 100));
      const y1 = e[e.length - 1]!;
      e.push(...d4);
      // The second linear run starts from the last value written: the indirect copy's last.
      for (let i = 1; i <= 148; i++) e.push(Math.round(y0 + ((0 - y0) * i) / 148));
      expect(y1).toBe(peaks[c]);
      expanded.push(e);
    }
    lut.sort((a, b) => a.tag - b.tag);
    const bytes = buildDicom(paletteImage(indices8, 8, lut));
    const d = await readDicomImage('pal_seg.dcm', bytes);
    const k = 255 / 65535;
    const want = Array.from(indices8, (i) =>
      Math.round((0.299 * expanded[0]![i]! + 0.587 * expanded[1]![i]! + 0.114 * expanded[2]![i]!) * k),
    );
    expect(Array.from(d.image.data)).toEqual(want);
    // No oracle here: dcm2pnm ignores segmented palettes ("not yet supported") and GDCM 3.0.21's
    // --decompress-lut asserts on them; the expected table above is expanded by hand from C.7.9.2.
  });
});

/** A parametric map: Float Pixel Data (7FE0,0008) and no integer Pixel Data. */
function floatMap(): Uint8Array {
  const values = new Float32Array(16).map((_, i) => i * 0.25 - 1);
  return buildDicom(
    [
      { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.30' },
      { tag: 0x00080018, vr: 'UI', value: '1.2.826.0.1.3680043.9.9999.16.8' },
      { tag: 0x00080060, vr: 'CS', value: 'MR' },
      { tag: 0x00280002, vr: 'US', value: 1 },
      { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
      { tag: 0x00280010, vr: 'US', value: 4 },
      { tag: 0x00280011, vr: 'US', value: 4 },
      { tag: 0x00280100, vr: 'US', value: 32 },
      { tag: 0x7fe00008, vr: 'OF', value: new Uint8Array(values.buffer) },
    ],
    { mediaStorageSopClass: '1.2.840.10008.5.1.4.1.1.30' },
  );
}

describe('cause 8: Float Pixel Data (a parametric map)', () => {
  it('screens as non_image_sop and says it is float pixel data, not a radiograph', async () => {
    const tags = readDicomTags(parseDicom(floatMap(), 'pmap.dcm'));
    expect(tags.floatPixelData).toBe('float');
    const s = screenDicom(tags);
    expect(s.exclusion).toBe('non_image_sop');
    expect(s.detail).toMatch(/Float Pixel Data .*not a radiograph/);
    await expect(readDicomImage('pmap.dcm', floatMap())).rejects.toThrow(/pmap\.dcm: Float Pixel Data/);
  });
});

describe('causes 8 and 9 through the import', () => {
  const s = tempServices('cxr-fidelity-');
  afterAll(() => s.cleanup());

  it('a parametric map and a truncated RT Plan are catalogued as non_image_sop with no error rows', async () => {
    const root = path.join(s.dataDir, 'in');
    fs.mkdirSync(root, { recursive: true });
    fs.writeFileSync(path.join(root, 'pmap.dcm'), floatMap());
    fs.writeFileSync(path.join(root, 'rtplan_truncated'), truncatedRtPlan());
    const r = await runImport({ db: s.catalog, dataDir: s.dataDir, roots: [root], labelsFromFolders: false });
    expect(r.errors).toEqual([]);
    expect(r.excluded).toEqual({ non_image_sop: 2 });
  });
});

describe('found by the conformance suite: 8-bit samples in big endian OW', () => {
  it('are read in swapped 16-bit words (dcmconv +tb writes colour that way)', async () => {
    const w = 6;
    const h = 4;
    const rgb = rgbPattern(w, h);
    // An OW value holds the bytes as little-endian words; buildDicom writes each word big endian.
    const words = new Uint16Array(rgb.length / 2).map((_, i) => rgb[i * 2]! | (rgb[i * 2 + 1]! << 8));
    const els = colorImage({ rows: h, cols: w, photometric: 'RGB', bits: 8, pixels: rgb }).map((e) =>
      e.tag === 0x7fe00010 ? { ...e, vr: 'OW', value: words } : e,
    );
    const d = await readDicomImage('rgb_be_ow.dcm', buildDicom(els, { bigEndian: true }));
    expect(Array.from(d.frame.samples)).toEqual(Array.from(rgb));
  });
});
