import fs from 'node:fs';
import path from 'node:path';

/** What a file is, judged from its first bytes (never from its extension). */
export type FileKind = 'dicom' | 'dicom-raw' | 'jpeg' | 'png' | 'unknown';

/** Bytes needed by `sniffBytes`. */
export const SNIFF_BYTES = 132;

const VRS = new Set(
  'AE AS AT CS DA DS DT FL FD IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '),
);

/**
 * Names that say "an image": a file so named that holds none is worth an error, not a silent
 * skip (import and predict alike). Whether a file is read at all is judged by content.
 */
export const IMAGE_EXTENSIONS = new Set(['.dcm', '.dicom', '.dic', '.ima', '.jpg', '.jpeg', '.png']);

export const namedAsImage = (file: string): boolean => IMAGE_EXTENSIONS.has(path.extname(file).toLowerCase());

/** Sniffs a file on disk from its first SNIFF_BYTES bytes; 'unknown' when it cannot be read. */
export async function sniffPath(file: string): Promise<FileKind> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(file, 'r');
    const head = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await fh.read(head, 0, SNIFF_BYTES, 0);
    return sniffBytes(head.subarray(0, bytesRead));
  } catch {
    return 'unknown';
  } finally {
    await fh?.close();
  }
}

export function sniffBytes(head: Uint8Array): FileKind {
  if (head.length >= 132 && head[128] === 0x44 && head[129] === 0x49 && head[130] === 0x43 && head[131] === 0x4d) {
    return 'dicom';
  }
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.length >= 8 && head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47) return 'png';
  if (rawLayout(head)) return 'dicom-raw';
  return 'unknown';
}

/** The transfer syntaxes a dataset without preamble can be read in, judged from its first element. */
export const IMPLICIT_LE = '1.2.840.10008.1.2';
export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const EXPLICIT_BE = '1.2.840.10008.1.2.2';

/**
 * How a file without the 128-byte preamble is laid out, or undefined when it is not a dataset:
 * - 'meta': it starts with a File Meta group (0002,xxxx), always explicit VR little endian, whose
 *   (0002,0010) names the dataset's transfer syntax (some writers drop only the preamble);
 * - a transfer syntax UID: a bare dataset (old ACR-NEMA style exports) starting with a group
 *   0x0008 element, little endian (explicit or implicit VR) or explicit VR big endian.
 */
export function rawLayout(head: Uint8Array): 'meta' | typeof IMPLICIT_LE | typeof EXPLICIT_LE | typeof EXPLICIT_BE | undefined {
  if (head.length < 8) return undefined;
  const le16 = (o: number) => head[o]! | (head[o + 1]! << 8);
  const be16 = (o: number) => (head[o]! << 8) | head[o + 1]!;
  const explicit = VRS.has(String.fromCharCode(head[4]!, head[5]!));
  if (le16(0) === 0x0002 && le16(2) <= 0x0100 && explicit) return 'meta';
  if (le16(0) === 0x0008 && le16(2) <= 0x0020) {
    if (explicit) return EXPLICIT_LE;
    // Implicit VR: a 32-bit length that fits in the file's first element sensibly.
    const len = (head[4]! | (head[5]! << 8) | (head[6]! << 16) | (head[7]! << 24)) >>> 0;
    return len < 1024 ? IMPLICIT_LE : undefined;
  }
  // Big endian has no implicit VR form, so the VR must be there.
  if (be16(0) === 0x0008 && be16(2) <= 0x0020 && explicit) return EXPLICIT_BE;
  // An implicit little-endian group 0002 (non-standard, but seen): read as a bare dataset.
  if (le16(0) === 0x0002 && le16(2) <= 0x0100) {
    const len = (head[4]! | (head[5]! << 8) | (head[6]! << 16) | (head[7]! << 24)) >>> 0;
    return len < 1024 ? IMPLICIT_LE : undefined;
  }
  return undefined;
}
