/**
 * The JPEG 2000 codestream to hand the codec, from a frame's bytes:
 * - a JP2 file wrapper (forbidden in DICOM, but written) is stripped to its contiguous
 *   codestream box ('jp2c');
 * - a SIZ header whose Rsiz and upper Xsiz bytes hold FE FF DD E0, the bytes of a DICOM Sequence
 *   Delimitation Item (FFFE,E0DD) that a writer laid over the codestream (seen in public test
 *   files, "JPEG 2000 with an embedded sequence delimiter"), is repaired: Rsiz only names a
 *   capability profile (0 is always readable) and Xsiz, the width plus the horizontal offset,
 *   is rebuilt from the Columns tag. The codec's answer is then checked against the tags as usual.
 * Anything else is passed through as is.
 */
export function j2kCodestream(frame: Uint8Array, columns: number): Uint8Array {
  let cs = frame;
  if (isJp2(cs)) cs = jp2Codestream(cs) ?? cs;
  // SOC (FF4F) then SIZ (FF51): Lsiz at 4, Rsiz at 6, Xsiz at 8, Ysiz at 12, XOsiz at 16.
  if (cs.length >= 24 && cs[0] === 0xff && cs[1] === 0x4f && cs[2] === 0xff && cs[3] === 0x51) {
    if (cs[6] === 0xfe && cs[7] === 0xff && cs[8] === 0xdd && cs[9] === 0xe0) {
      const fixed = cs.slice();
      const dv = new DataView(fixed.buffer, fixed.byteOffset, fixed.length);
      dv.setUint16(6, 0);
      dv.setUint32(8, dv.getUint32(16) + columns);
      return fixed;
    }
  }
  return cs;
}

function isJp2(b: Uint8Array): boolean {
  // The JP2 signature box: length 12, type 'jP  '.
  return (
    b.length >= 12 &&
    b[0] === 0 &&
    b[1] === 0 &&
    b[2] === 0 &&
    b[3] === 12 &&
    b[4] === 0x6a &&
    b[5] === 0x50 &&
    b[6] === 0x20 &&
    b[7] === 0x20
  );
}

function jp2Codestream(b: Uint8Array): Uint8Array | undefined {
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  let p = 0;
  while (p + 8 <= b.length) {
    let len = dv.getUint32(p);
    const type = String.fromCharCode(b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!);
    let head = 8;
    if (len === 1 && p + 16 <= b.length) {
      len = Number(dv.getBigUint64(p + 8));
      head = 16;
    }
    if (len === 0) len = b.length - p;
    if (type === 'jp2c') return b.subarray(p + head, Math.min(b.length, p + len));
    if (len < head) return undefined;
    p += len;
  }
  return undefined;
}
