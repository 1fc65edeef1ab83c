/**
 * A minimal DICOM writer for hostile test files: explicit VR little endian elements written byte
 * for byte as given, so a test can state a wrong length, leave out a delimiter or declare any
 * transfer syntax. Nothing here checks that the result is valid; that is the point.
 */
const LONG_VRS = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'SQ', 'UT', 'UN', 'UC', 'UR']);

export const UNDEFINED_LENGTH = 0xffffffff;

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function evenText(s: string, pad: number): Uint8Array {
  const b = new TextEncoder().encode(s);
  if (b.length % 2 === 0) return b;
  const out = new Uint8Array(b.length + 1);
  out.set(b);
  out[b.length] = pad;
  return out;
}

/** A value: text (UI padded with NUL, else space), numbers as US, or raw bytes. */
export function value(vr: string, v: string | number | number[] | Uint8Array): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return evenText(v, vr === 'UI' ? 0 : 0x20);
  const nums = typeof v === 'number' ? [v] : v;
  const size = vr === 'US' || vr === 'SS' ? 2 : 4;
  const out = new Uint8Array(nums.length * size);
  const dv = new DataView(out.buffer);
  nums.forEach((n, i) => (size === 2 ? dv.setUint16(i * 2, n, true) : dv.setUint32(i * 4, n, true)));
  return out;
}

/**
 * One element: tag, VR, body, and the length field to write (the body's length unless a test
 * lies about it).
 */
export function element(tag: number, vr: string, body: Uint8Array, declaredLength = body.length): Uint8Array {
  const long = LONG_VRS.has(vr);
  const head = new Uint8Array(long ? 12 : 8);
  const dv = new DataView(head.buffer);
  dv.setUint16(0, tag >>> 16, true);
  dv.setUint16(2, tag & 0xffff, true);
  head[4] = vr.charCodeAt(0);
  head[5] = vr.charCodeAt(1);
  if (long) dv.setUint32(8, declaredLength >>> 0, true);
  else dv.setUint16(6, declaredLength & 0xffff, true);
  return concat([head, body]);
}

/** An item/delimiter header (FFFE,xxxx) with a 32-bit length. */
export function itemHeader(elementNo: number, length: number): Uint8Array {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, 0xfffe, true);
  dv.setUint16(2, elementNo, true);
  dv.setUint32(4, length >>> 0, true);
  return b;
}
export const ITEM = 0xe000;
export const ITEM_DELIMITER = 0xe00d;
export const SEQUENCE_DELIMITER = 0xe0dd;

export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
const CR_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.1';

/** Preamble, DICM and a meta header naming the SOP class, instance and transfer syntax. */
export function part10(dataset: Uint8Array, opts: { transferSyntax?: string; sopClass?: string; sopUid?: string } = {}): Uint8Array {
  const meta = concat([
    element(0x00020001, 'OB', new Uint8Array([0, 1])),
    element(0x00020002, 'UI', value('UI', opts.sopClass ?? CR_SOP_CLASS)),
    element(0x00020003, 'UI', value('UI', opts.sopUid ?? '1.2.3.4')),
    element(0x00020010, 'UI', value('UI', opts.transferSyntax ?? EXPLICIT_LE)),
  ]);
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128);
  return concat([preamble, element(0x00020000, 'UL', value('UL', meta.length)), meta, dataset]);
}

export interface ImageHeader {
  sopUid: string;
  rows?: number;
  cols?: number;
  bitsAllocated?: number;
  patientName?: string;
  patientId?: string;
  sopClass?: string;
  modality?: string;
}

/** The elements before Pixel Data of a plain CR chest image (tag order). */
export function imageHeader(h: ImageHeader): Uint8Array {
  const bits = h.bitsAllocated ?? 8;
  return concat([
    element(0x00080016, 'UI', value('UI', h.sopClass ?? CR_SOP_CLASS)),
    element(0x00080018, 'UI', value('UI', h.sopUid)),
    element(0x00080060, 'CS', value('CS', h.modality ?? 'CR')),
    element(0x00100010, 'PN', value('PN', h.patientName ?? 'Test^Patient')),
    element(0x00100020, 'LO', value('LO', h.patientId ?? 'TEST-0001')),
    element(0x00180015, 'CS', value('CS', 'CHEST')),
    element(0x00200013, 'IS', value('IS', '1')),
    element(0x00280002, 'US', value('US', 1)),
    element(0x00280004, 'CS', value('CS', 'MONOCHROME2')),
    element(0x00280010, 'US', value('US', h.rows ?? 32)),
    element(0x00280011, 'US', value('US', h.cols ?? 32)),
    element(0x00280100, 'US', value('US', bits)),
    element(0x00280101, 'US', value('US', bits)),
    element(0x00280102, 'US', value('US', bits - 1)),
    element(0x00280103, 'US', value('US', 0)),
  ]);
}

/** A gradient, so a decoded image is not blank. */
export function gradient(rows: number, cols: number): Uint8Array {
  return Uint8Array.from({ length: rows * cols }, (_, i) => ((i % cols) * 255) / Math.max(1, cols - 1));
}

/** A whole, valid, uncompressed 8-bit CR chest image. */
export function goodDicom(h: ImageHeader): Uint8Array {
  const rows = h.rows ?? 32;
  const cols = h.cols ?? 32;
  return part10(concat([imageHeader(h), element(0x7fe00010, 'OB', gradient(rows, cols))]), { sopUid: h.sopUid });
}
