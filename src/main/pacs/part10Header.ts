/**
 * The 128-byte preamble, "DICM" and the file meta group (0002) that turn a dataset as it came
 * over the network into a Part 10 file. The receiver writes this and then the dataset bytes
 * unchanged, so a received film is stored exactly as sent (compressed, deflated or not) and is
 * never held whole in memory.
 */

import { nameUid } from './uids';

/** Ours: a 2.25 UID derived from the product name. */
export const IMPLEMENTATION_CLASS_UID = nameUid('cxr-triage', 'implementation class');
export const IMPLEMENTATION_VERSION = 'CXRTRIAGE_010';

function element(group: number, elem: number, vr: string, value: Buffer): Buffer {
  const long = vr === 'OB' || vr === 'OW' || vr === 'UN' || vr === 'SQ' || vr === 'UT';
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(elem, 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(value.length, 8);
  else head.writeUInt16LE(value.length, 6);
  return Buffer.concat([head, value]);
}

/** UIDs pad to even length with NUL, text with a space (PS3.5 6.2). */
const uidValue = (s: string) => Buffer.from(s.length % 2 ? `${s}\0` : s, 'latin1');
const textValue = (s: string) => Buffer.from(s.length % 2 ? `${s} ` : s, 'latin1');

export function part10Header(meta: { sopClassUid: string; sopInstanceUid: string; transferSyntaxUid: string; sourceAet?: string }): Buffer {
  const body = Buffer.concat([
    element(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    element(0x0002, 0x0002, 'UI', uidValue(meta.sopClassUid)),
    element(0x0002, 0x0003, 'UI', uidValue(meta.sopInstanceUid)),
    element(0x0002, 0x0010, 'UI', uidValue(meta.transferSyntaxUid)),
    element(0x0002, 0x0012, 'UI', uidValue(IMPLEMENTATION_CLASS_UID)),
    element(0x0002, 0x0013, 'SH', textValue(IMPLEMENTATION_VERSION)),
    ...(meta.sourceAet ? [element(0x0002, 0x0016, 'AE', textValue(meta.sourceAet))] : []),
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length, 0);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), element(0x0002, 0x0000, 'UL', length), body]);
}
