/** What a file is, judged from its first bytes (never from its extension). */
export type FileKind = 'dicom' | 'dicom-raw' | 'jpeg' | 'png' | 'unknown';

/** Bytes needed by `sniffBytes`. */
export const SNIFF_BYTES = 132;

const VRS = new Set(
  'AE AS AT CS DA DS DT FL FD IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '),
);

export function sniffBytes(head: Uint8Array): FileKind {
  if (head.length >= 132 && head[128] === 0x44 && head[129] === 0x49 && head[130] === 0x43 && head[131] === 0x4d) {
    return 'dicom';
  }
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.length >= 8 && head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47) return 'png';
  if (looksLikeRawDataset(head)) return 'dicom-raw';
  return 'unknown';
}

/**
 * A dataset written without the 128-byte preamble and meta header (old ACR-NEMA style exports):
 * it starts with a little-endian group 0x0008 (or 0x0002) element.
 */
function looksLikeRawDataset(head: Uint8Array): boolean {
  if (head.length < 8) return false;
  const group = head[0]! | (head[1]! << 8);
  if (group !== 0x0008 && group !== 0x0002) return false;
  const element = head[2]! | (head[3]! << 8);
  if (element > 0x0020) return false;
  if (rawIsExplicit(head)) return true;
  // Implicit VR: a 32-bit length that fits in the file's first element sensibly.
  const len = head[4]! | (head[5]! << 8) | (head[6]! << 16) | (head[7]! << 24);
  return len >= 0 && len < 1024;
}

/** Whether a raw dataset carries explicit VRs (two upper-case letters after the first tag). */
export function rawIsExplicit(head: Uint8Array): boolean {
  if (head.length < 6) return false;
  return VRS.has(String.fromCharCode(head[4]!, head[5]!));
}
