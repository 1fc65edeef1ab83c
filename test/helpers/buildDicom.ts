import { concat } from '../reliability/dicomWriter';
/**
 * Writes small synthetic DICOM files for rule tests: Part 10 (explicit VR, little or big endian)
 * or a raw dataset without preamble. Elements are given in tag order by the caller.
 */
export type Value = string | number | number[] | Uint8Array | Uint16Array | DicomItem[];
export interface DicomItem {
  elements: El[];
}
export interface El {
  tag: number;
  vr: string;
  value: Value;
}

const LONG_VRS = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN', 'UC', 'UR', 'OD', 'OL']);

function encodeValue(vr: string, value: Value, le: boolean): Uint8Array {
  if (value instanceof Uint8Array) return pad(value, 0);
  if (value instanceof Uint16Array) {
    const out = new Uint8Array(value.length * 2);
    const dv = new DataView(out.buffer);
    value.forEach((v, i) => dv.setUint16(i * 2, v, le));
    return out;
  }
  if (typeof value === 'string') return pad(new TextEncoder().encode(value), vr === 'UI' ? 0 : 0x20);
  const nums = typeof value === 'number' ? [value] : (value as number[]);
  const size = vr === 'US' || vr === 'SS' ? 2 : 4;
  const out = new Uint8Array(nums.length * size);
  const dv = new DataView(out.buffer);
  nums.forEach((v, i) => {
    if (vr === 'US') dv.setUint16(i * 2, v, le);
    else if (vr === 'SS') dv.setInt16(i * 2, v, le);
    else if (vr === 'UL') dv.setUint32(i * 4, v, le);
    else dv.setInt32(i * 4, v, le);
  });
  return out;
}

function pad(b: Uint8Array, fill: number): Uint8Array {
  if (b.length % 2 === 0) return b;
  const out = new Uint8Array(b.length + 1);
  out.set(b);
  out[b.length] = fill;
  return out;
}

function encodeElements(els: El[], le: boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of els) {
    const group = e.tag >>> 16;
    const element = e.tag & 0xffff;
    let body: Uint8Array;
    let undefinedLength = false;
    if (e.vr === 'SQ') {
      undefinedLength = true;
      const items: Uint8Array[] = [];
      for (const item of e.value as DicomItem[]) {
        const content = encodeElements(item.elements, le);
        items.push(tagHeader(0xfffe, 0xe000, content.length, le), content);
      }
      items.push(tagHeader(0xfffe, 0xe0dd, 0, le));
      body = concat(items);
    } else body = encodeValue(e.vr, e.value as Value, le);
    const head = new Uint8Array(LONG_VRS.has(e.vr) ? 12 : 8);
    const dv = new DataView(head.buffer);
    dv.setUint16(0, group, le);
    dv.setUint16(2, element, le);
    head[4] = e.vr.charCodeAt(0);
    head[5] = e.vr.charCodeAt(1);
    if (LONG_VRS.has(e.vr)) dv.setUint32(8, undefinedLength ? 0xffffffff : body.length, le);
    else dv.setUint16(6, body.length, le);
    parts.push(head, body);
  }
  return concat(parts);
}

function tagHeader(group: number, element: number, length: number, le: boolean): Uint8Array {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, group, le);
  dv.setUint16(2, element, le);
  dv.setUint32(4, length, le);
  return b;
}


const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';

/** A Part 10 file: preamble, DICM, meta header (always explicit LE), then the dataset. */
export function buildDicom(els: El[], opts: { bigEndian?: boolean; raw?: boolean; mediaStorageSopClass?: string } = {}): Uint8Array {
  const le = !opts.bigEndian;
  const dataset = encodeElements(els, le);
  if (opts.raw) return dataset;
  const sop = els.find((e) => e.tag === 0x00080018)?.value as string | undefined;
  const metaBody = encodeElements(
    [
      { tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) },
      { tag: 0x00020002, vr: 'UI', value: opts.mediaStorageSopClass ?? '1.2.840.10008.5.1.4.1.1.1' },
      { tag: 0x00020003, vr: 'UI', value: sop ?? '1.2.3.4' },
      { tag: 0x00020010, vr: 'UI', value: opts.bigEndian ? EXPLICIT_BE : EXPLICIT_LE },
    ],
    true,
  );
  const groupLength = encodeElements([{ tag: 0x00020000, vr: 'UL', value: metaBody.length }], true);
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128);
  return concat([preamble, groupLength, metaBody, dataset]);
}

/** The elements of a plain gray image; `extra` elements are merged in tag order. */
export function grayImage(
  opts: { rows: number; cols: number; pixels: Uint16Array | Uint8Array; bitsAllocated?: number; bitsStored?: number; highBit?: number; signed?: boolean; photometric?: string },
  extra: El[] = [],
): El[] {
  const bitsAllocated = opts.bitsAllocated ?? 16;
  const bitsStored = opts.bitsStored ?? bitsAllocated;
  const els: El[] = [
    { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.1' },
    { tag: 0x00080018, vr: 'UI', value: `1.2.826.0.1.3680043.9.9999.${Math.floor(Math.random() * 1e9)}` },
    { tag: 0x00080060, vr: 'CS', value: 'CR' },
    { tag: 0x00180015, vr: 'CS', value: 'CHEST' },
    { tag: 0x00280002, vr: 'US', value: 1 },
    { tag: 0x00280004, vr: 'CS', value: opts.photometric ?? 'MONOCHROME2' },
    { tag: 0x00280010, vr: 'US', value: opts.rows },
    { tag: 0x00280011, vr: 'US', value: opts.cols },
    { tag: 0x00280100, vr: 'US', value: bitsAllocated },
    { tag: 0x00280101, vr: 'US', value: bitsStored },
    { tag: 0x00280102, vr: 'US', value: opts.highBit ?? bitsStored - 1 },
    { tag: 0x00280103, vr: 'US', value: opts.signed ? 1 : 0 },
    { tag: 0x7fe00010, vr: bitsAllocated === 8 ? 'OB' : 'OW', value: opts.pixels },
  ];
  const all = [...els.filter((e) => !extra.some((x) => x.tag === e.tag)), ...extra];
  return all.sort((a, b) => a.tag - b.tag);
}
