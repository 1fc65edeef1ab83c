/**
 * The nine causes of issue 16 (files other toolkits write that import misread), one test each,
 * on real samples reshaped or on DICOM bytes written here. Each failed before its fix.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { SHARED_DATA } from '../../../../test/helpers/tempServices';
import { buildDicom, grayImage, type El } from '../../../../test/helpers/buildDicom';
import { readDicomImage } from '../dicom/dicomImage';
import { parseDicom } from '../dicom/parseDicom';
import { readDicomTags } from '../dicom/dicomTags';
import { screenDicom } from '../screening';
import { sniffBytes } from '../sniffFile';

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
      { tag: 0x00081140, vr: 'SQ', value: [{ elements: [{ tag: 0x00081150, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.1' }] }] },
    ]);
    // Cut inside the Referenced Image Sequence, before the pixels.
    const cut = buildDicom(els).slice(0, 200);
    expect(() => parseDicom(cut, 'cut_cr.dcm')).toThrow(/cut_cr\.dcm: not a readable DICOM dataset/);
  });
});
