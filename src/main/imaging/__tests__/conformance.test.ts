/**
 * DICOM conformance against an independent decoder: the shared samples re-encoded by dcmtk and
 * GDCM (test/helpers/dicomVariants.ts) into transfer syntaxes, photometric interpretations,
 * planar configurations and multi-frame layouts, each read by the import's path and by the
 * tools themselves. Stated tolerances:
 * - lossless variants: stored values identical (max |Δ| = 0);
 * - lossy variants (two decoders of the same lossy stream): mean |Δ| ≤ 1% and max |Δ| ≤ 10% of
 *   the stored range;
 * - rendering: Pearson correlation with the tools' rendering ≥ 0.97 (where the file has no
 *   window the tools use min–max and we keep our histogram window, see autoWindow.ts).
 * The table (one row per variant) goes to stdout and to $CONFORMANCE_TABLE or
 * <tmp>/cxr-dicom-conformance.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SHARED_DATA } from '../../../../test/helpers/tempServices';
import {
  correlation,
  generateVariants,
  missingTools,
  oracleDecode,
  type Variant,
  type VariantFailure,
} from '../../../../test/helpers/dicomVariants';
import { readDicomImage, type DicomImage } from '../dicom/dicomImage';
import { parseDicom } from '../dicom/parseDicom';
import { readDicomTags } from '../dicom/dicomTags';
import { transferSyntaxInfo } from '../dicom/transferSyntax';

const missing = missingTools();
if (missing.length > 0) {
  console.log(
    `conformance: skipped, these tools are not installed: ${missing.join(', ')} (apt-get install dcmtk libgdcm-tools; scripts/install.sh does)`,
  );
}

interface Row {
  variant: string;
  transferSyntax: string;
  photometric: string;
  bits: string;
  frames: number;
  lossy: boolean;
  decoded: boolean;
  reason?: string;
  oracleReason?: string;
  maxDelta?: number;
  meanDelta?: number;
  range: number;
  /** Why stored values are not compared (colour spaces differ after decoding). */
  storedNote?: string;
  correlation?: number;
  hasWindow: boolean;
  monochrome?: boolean;
}


/** Frame 0's samples interleaved (RGBRGB…), whatever the planar configuration. */
function interleaved(s: ArrayLike<number>, n: number, spp: number, planar: boolean): number[] {
  const out = new Array<number>(n * spp);
  for (let i = 0; i < n; i++) for (let c = 0; c < spp; c++) out[i * spp + c] = planar ? s[c * n + i]! : s[i * spp + c]!;
  return out;
}

function oracleSamples(bytes: Uint8Array, bitsAllocated: number, count: number): ArrayLike<number> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const per = bitsAllocated / 8;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++)
    out[i] = per === 1 ? bytes[i]! : per === 2 ? dv.getUint16(i * 2, true) : dv.getUint32(i * 4, true);
  return out;
}

async function measure(v: Variant, dir: string): Promise<Row> {
  const tags = readDicomTags(parseDicom(new Uint8Array(fs.readFileSync(v.file)), v.file));
  const ds = parseDicom(new Uint8Array(fs.readFileSync(v.file)), v.file);
  const hasWindow = ds.elements.x00281050 !== undefined && ds.elements.x00281051 !== undefined;
  const row: Row = {
    variant: v.name,
    transferSyntax: transferSyntaxInfo(tags.transferSyntax)?.name ?? tags.transferSyntax,
    photometric: tags.photometric ?? '?',
    bits: `${tags.bitsAllocated}/${tags.bitsStored}${tags.pixelRepresentation === 1 ? ' signed' : ''}`,
    frames: tags.frames,
    lossy: v.lossy,
    decoded: false,
    range: 2 ** (tags.bitsStored ?? 8),
    hasWindow,
  };
  let ours: DicomImage;
  try {
    ours = await readDicomImage(v.file);
    row.decoded = true;
  } catch (err) {
    row.reason = (err as Error).message.replace(`${v.file}: `, '');
    return row;
  }
  const mono = ours.frame.samplesPerPixel === 1 && tags.photometric !== 'PALETTE COLOR';
  row.monochrome = mono;
  let oracle;
  try {
    oracle = await oracleDecode(v, tags.transferSyntax, hasWindow, mono, dir);
  } catch (err) {
    row.oracleReason = (err as Error).message;
    return row;
  }
  const otags = readDicomTags(parseDicom(new Uint8Array(fs.readFileSync(oracle.decodedFile)), oracle.decodedFile));
  const { width, height, samplesPerPixel: spp } = ours.frame;
  const n = width * height;
  const ourSpace = spp === 3 ? (ours.frame.codecMadeRgb ? 'RGB' : tags.photometric) : tags.photometric;
  if (spp === 3 && ourSpace !== otags.photometric) {
    row.storedNote = `colour spaces differ after decoding (ours ${ourSpace}, tools ${otags.photometric})`;
  } else if (tags.photometric === 'YBR_FULL_422' && ours.frame.native) {
    row.storedNote = 'stored as Y1 Y2 Cb Cr (two samples a pixel): compared by rendering';
  } else {
    const a = interleaved(ours.frame.samples, n, spp, ours.frame.planar);
    const b = interleaved(
      oracleSamples(oracle.pixels, otags.bitsAllocated ?? 8, n * spp),
      n,
      spp,
      (otags.planarConfiguration ?? 0) === 1 && spp === 3,
    );
    let max = 0;
    let sum = 0;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i]! - b[i]!);
      sum += d;
      if (d > max) max = d;
    }
    row.maxDelta = max;
    row.meanDelta = sum / a.length;
  }
  if (oracle.width === width && oracle.height === height) row.correlation = correlation(ours.image.data, oracle.gray);
  else row.oracleReason = `the tools rendered ${oracle.width}x${oracle.height}, we ${width}x${height}`;
  return row;
}

function table(rows: Row[], failures: VariantFailure[]): string {
  const lines = [
    '| variant | transfer syntax | photometric | bits (alloc/stored) | frames | decoded | max abs Δ stored | mean abs Δ | rendering r |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const stored =
      r.maxDelta !== undefined
        ? String(r.maxDelta)
        : r.storedNote
          ? `n/a: ${r.storedNote}`
          : (r.oracleReason ?? r.reason ?? '');
    const mean = r.meanDelta !== undefined ? r.meanDelta.toFixed(3) : '';
    const corr =
      r.correlation !== undefined
        ? `${r.correlation.toFixed(4)}${r.hasWindow || !r.monochrome ? '' : ' (auto window vs min–max)'}`
        : '';
    lines.push(
      `| ${r.variant}${r.lossy ? ' (lossy)' : ''} | ${r.transferSyntax} | ${r.photometric} | ${r.bits} | ${r.frames} | ${r.decoded ? 'yes' : `no: ${r.reason}`} | ${stored} | ${mean} | ${corr} |`,
    );
  }
  for (const f of failures) lines.push(`| ${f.name} | not generated: ${f.reason} | | | | | | | |`);
  return lines.join('\n');
}

describe.skipIf(missing.length > 0)('DICOM conformance against dcmtk and GDCM', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-conformance-'));
  let rows: Row[] = [];
  let failures: VariantFailure[] = [];
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    const started = Date.now();
    const gen = await generateVariants(path.join(SHARED_DATA, 'dicom'), dir);
    failures = gen.failures;
    for (const v of gen.variants) rows.push(await measure(v, dir));
    rows = rows.sort((a, b) => (a.variant < b.variant ? -1 : 1));
    const md = `${table(rows, failures)}\n\n${rows.length} variants measured, ${failures.length} not generated, in ${((Date.now() - started) / 1000).toFixed(1)} s\n`;
    const out = process.env.CONFORMANCE_TABLE ?? path.join(os.tmpdir(), 'cxr-dicom-conformance.md');
    fs.writeFileSync(out, md);
    console.log(`${md}\n(table written to ${out})`);
  }, 170_000);

  it('generates variants of every kind the issue names', () => {
    expect(rows.length).toBeGreaterThanOrEqual(40);
    const seen = new Set(rows.map((r) => `${r.transferSyntax}|${r.photometric}`));
    for (const want of [
      'RLE Lossless|RGB',
      'JPEG Baseline (Process 1)|YBR_FULL_422',
      'JPEG Baseline (Process 1)|RGB',
      'Explicit VR Little Endian|YBR_FULL',
      'Explicit VR Little Endian|PALETTE COLOR',
      'JPEG 2000 Lossless|MONOCHROME2',
    ]) {
      expect(seen, want).toContain(want);
    }
    expect(rows.some((r) => r.frames === 3 && r.variant.includes('without offset table'))).toBe(true);
  });

  it('decodes every variant, and every variant the tools decode', () => {
    expect(rows.filter((r) => !r.decoded).map((r) => `${r.variant}: ${r.reason}`)).toEqual([]);
  });

  it('lossless variants: stored values identical to the tools’ decoding', () => {
    const bad = rows.filter((r) => !r.lossy && r.maxDelta !== undefined && r.maxDelta !== 0);
    expect(bad.map((r) => `${r.variant}: max |Δ| ${r.maxDelta}`)).toEqual([]);
    expect(rows.filter((r) => !r.lossy && r.maxDelta !== undefined).length).toBeGreaterThanOrEqual(25);
  });

  it('lossy variants: mean |Δ| ≤ 1% and max |Δ| ≤ 10% of the stored range', () => {
    const bad = rows.filter(
      (r) => r.lossy && r.maxDelta !== undefined && (r.meanDelta! > 0.01 * r.range || r.maxDelta > 0.1 * r.range),
    );
    expect(bad.map((r) => `${r.variant}: mean ${r.meanDelta!.toFixed(2)}, max ${r.maxDelta} of ${r.range}`)).toEqual(
      [],
    );
  });

  it('renderings correlate with the tools’ renderings (r ≥ 0.97)', () => {
    expect(rows.filter((r) => r.oracleReason).map((r) => `${r.variant}: ${r.oracleReason}`)).toEqual([]);
    const bad = rows.filter((r) => r.correlation !== undefined && r.correlation < 0.97);
    expect(bad.map((r) => `${r.variant}: r = ${r.correlation!.toFixed(4)}`)).toEqual([]);
  });
});
