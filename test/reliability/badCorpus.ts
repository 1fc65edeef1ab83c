/**
 * The bad-input corpus: every kind of broken file a workstation meets, written by test code at
 * test time (never committed), beside a few good files that must still import.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import sharp from 'sharp';
import type { ExclusionReason } from '../../src/shared/import';
import { dicomParser } from '../../src/main/imaging/dicom/parseDicom';
import {
  concat,
  element,
  goodDicom,
  gradient,
  imageHeader,
  ITEM,
  itemHeader,
  JPEG_BASELINE,
  part10,
  SEQUENCE_DELIMITER,
  UNDEFINED_LENGTH,
  value,
} from './dicomWriter';

export const SAMPLE_DICOM = path.resolve(import.meta.dirname, '../../../shared/data/dicom');

/** What import must make of a file: an error row, an excluded catalogue row, or a good image. */
export type Expectation = { error: true } | { excluded: ExclusionReason } | { imported: true };

export interface BadCase {
  /** Path relative to the corpus folder (the error row's file). */
  name: string;
  what: string;
  expect: Expectation;
}

export interface Corpus {
  dir: string;
  bad: BadCase[];
  good: string[];
  /** Why a case could not be made as asked here (root can read chmod 000 files). */
  notes: string[];
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** A small real JPEG (synthetic content) and the offset where its entropy-coded scan starts. */
export async function synthJpeg(size = 64): Promise<{ bytes: Buffer; scanStart: number }> {
  const px = Buffer.from(gradient(size, size).map((v, i) => (v + ((i * 7919) % 13) * 5) & 255));
  const bytes = await sharp(px, { raw: { width: size, height: size, channels: 1 } }).jpeg({ quality: 90 }).toBuffer();
  let sos = -1;
  for (let i = 2; i < bytes.length - 1; i++) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xda) {
      sos = i;
      break;
    }
  }
  return { bytes, scanStart: sos + 2 + bytes.readUInt16BE(sos + 2) };
}

/** A PNG whose header declares width × height and whose data is a few bytes: a decompression bomb's shape. */
export function pngDeclaring(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grey
  // A zlib stream of a few zero bytes: far too little for the declared size.
  const idat = Buffer.from([0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A copy whose SOP Instance UID ends in `k` (same length), so truncated copies of one file are
 * distinct instances rather than duplicates of each other.
 */
function withSopSuffix(bytes: Uint8Array, el: { dataOffset: number; length: number }, k: number): Uint8Array {
  const copy = bytes.slice();
  let end = el.dataOffset + el.length;
  while (end > el.dataOffset && copy[end - 1] === 0) end--;
  const digits = String(k + 1).padStart(3, '1');
  for (let i = 0; i < digits.length; i++) copy[end - digits.length + i] = digits.charCodeAt(i);
  return copy;
}

/** Encapsulated pixel data: the offset table item, the fragments as given, and (unless left out) the delimiter. */
function encapsulated(parts: Uint8Array[], delimiter = true): Uint8Array {
  return concat([element(0x7fe00010, 'OB', new Uint8Array(0), UNDEFINED_LENGTH), ...parts, ...(delimiter ? [itemHeader(SEQUENCE_DELIMITER, 0)] : [])]);
}

const fragment = (b: Uint8Array, declared = b.length) => concat([itemHeader(ITEM, declared), b]);

/**
 * Writes the corpus into `dir` (emptied first). `sopBase` keeps SOP UIDs apart between runs
 * that share a catalog.
 */
export async function writeCorpus(dir: string, sopBase = '1.2.826.0.1.3680043.10.999'): Promise<Corpus> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const bad: BadCase[] = [];
  const notes: string[] = [];
  let uid = 0;
  const sop = () => `${sopBase}.${++uid}`;
  const put = (name: string, bytes: Uint8Array | string, what: string, expect: Expectation = { error: true }) => {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), bytes);
    bad.push({ name, what, expect });
  };

  // Good files, which must import whatever sits beside them.
  const good = ['good-1.dcm', 'good-2.png', 'good-3.jpg'];
  fs.writeFileSync(path.join(dir, good[0]!), goodDicom({ sopUid: sop(), rows: 48, cols: 40 }));
  const gpx = Buffer.from(gradient(48, 40));
  await sharp(gpx, { raw: { width: 40, height: 48, channels: 1 } }).png().toFile(path.join(dir, good[1]!));
  await sharp(Buffer.from(gpx.map((v) => 255 - v)), { raw: { width: 40, height: 48, channels: 1 } }).jpeg().toFile(path.join(dir, good[2]!));

  // Zero-byte files.
  put('empty.dcm', new Uint8Array(0), 'zero-byte .dcm');
  put('empty.png', new Uint8Array(0), 'zero-byte .png');
  put('empty', new Uint8Array(0), 'zero-byte file without an extension');

  // A real DICOM truncated at 10 offsets: preamble, magic, meta header, dataset, pixel header, pixel data.
  const nih = new Uint8Array(fs.readFileSync(path.join(SAMPLE_DICOM, 'nih_cxr14_chest_DX.dcm')));
  const nihDs = dicomParser.parseDicom(nih);
  const px = nihDs.elements.x7fe00010!;
  const cuts = [1, 100, 131, 200, 400, px.dataOffset - 8, px.dataOffset - 2, px.dataOffset + 1000, px.dataOffset + (px.length >> 1), nih.length - 1];
  for (const [k, at] of cuts.entries()) {
    put(`truncated/nih-at-${at}.dcm`, withSopSuffix(nih, nihDs.elements.x00080018!, k).subarray(0, at), `nih_cxr14 truncated at byte ${at} of ${nih.length}`);
  }
  // And a compressed one, inside its fragment item header and inside the JPEG stream.
  const sc = new Uint8Array(fs.readFileSync(path.join(SAMPLE_DICOM, 'SC_rgb_jpeg_dcmtk.dcm')));
  const frag = dicomParser.parseDicom(sc).elements.x7fe00010!.fragments![0]!;
  for (const at of [frag.position - 4, frag.position + 600]) {
    put(`truncated/sc-jpeg-at-${at}.dcm`, sc.subarray(0, at), `JPEG baseline DICOM truncated at byte ${at} (fragment)`);
  }

  // Element lengths that overrun the file.
  const hdr = () => imageHeader({ sopUid: sop() });
  put('overrun/pixel-length.dcm', part10(concat([hdr(), element(0x7fe00010, 'OB', gradient(32, 32), 0x7ffffff0)])), 'Pixel Data length 0x7ffffff0, 1 KiB present');
  put(
    'overrun/lo-length.dcm',
    part10(concat([element(0x00080016, 'UI', value('UI', '1.2.840.10008.5.1.4.1.1.1')), element(0x00081030, 'LO', value('LO', 'CHEST'), 0xfff0)])),
    'a LO element declaring 65,520 bytes in a short file',
  );
  put(
    'overrun/sq-length.dcm',
    part10(concat([element(0x00081140, 'SQ', concat([itemHeader(ITEM, 8), element(0x00081150, 'UI', value('UI', '1.2'))]), 0x7ffffff0)])),
    'a sequence with a defined length past the end of the file',
  );
  {
    const f = goodDicom({ sopUid: sop() });
    // The meta group length (0002,0000) UL value sits at 132 + 8.
    new DataView(f.buffer).setUint32(140, 0xffffff00, true);
    // dicom-parser walks the meta elements rather than trusting the group length: the file is fine.
    put('overrun/meta-group-length.dcm', f, 'a meta group length of 4 GiB (ignored: the elements are walked)', { imported: true });
  }

  // Undefined-length sequences with no delimiters before the end of the file.
  {
    const sq = concat([
      element(0x00081140, 'SQ', new Uint8Array(0), UNDEFINED_LENGTH),
      itemHeader(ITEM, UNDEFINED_LENGTH),
      element(0x00081150, 'UI', value('UI', '1.2.840.10008.5.1.4.1.1.1')),
    ]);
    put('sequence/no-delimiters-at-end.dcm', part10(concat([element(0x00080016, 'UI', value('UI', '1.2.840.10008.5.1.4.1.1.1')), sq])), 'SQ and item of undefined length, the file ends inside them');
    put(
      'sequence/no-delimiters-then-pixels.dcm',
      part10(concat([element(0x00080018, 'UI', value('UI', sop())), sq, element(0x00280010, 'US', value('US', 32)), element(0x7fe00010, 'OB', gradient(32, 32))])),
      'SQ of undefined length never closed; pixel data swallowed into the item',
    );
  }

  // Unknown and retired transfer syntaxes.
  const garbage = fragment(Uint8Array.from({ length: 256 }, (_, i) => (i * 37) & 255));
  put('syntax/unknown.dcm', part10(concat([hdr(), encapsulated([itemHeader(ITEM, 0), garbage])]), { transferSyntax: '1.2.3.999.4242' }), 'transfer syntax 1.2.3.999.4242 (unknown)');
  put('syntax/retired-4.52.dcm', part10(concat([hdr(), encapsulated([itemHeader(ITEM, 0), garbage])]), { transferSyntax: '1.2.840.10008.1.2.4.52' }), 'retired JPEG Extended (Process 3 & 5)');
  put('syntax/retired-4.55.dcm', part10(concat([hdr(), encapsulated([itemHeader(ITEM, 0), garbage])]), { transferSyntax: '1.2.840.10008.1.2.4.55' }), 'retired JPEG Full Progression');

  // Encapsulated pixel data with a broken fragment table.
  const { bytes: jpeg32 } = await synthJpeg(32);
  const bot = new Uint8Array(16);
  new DataView(bot.buffer).setUint32(4, 999_999, true);
  const enc = (parts: Uint8Array[], delimiter = true) => part10(concat([hdr(), encapsulated(parts, delimiter)]), { transferSyntax: JPEG_BASELINE });
  put('fragments/offset-table-past-end.dcm', enc([fragment(bot), fragment(jpeg32)]), 'basic offset table pointing 1 MB past the data');
  put('fragments/item-length-overrun.dcm', enc([itemHeader(ITEM, 0), fragment(jpeg32, 0x7ffffff0)], false), 'fragment item declaring 2 GiB');
  put('fragments/not-an-item.dcm', enc([itemHeader(ITEM, 0), element(0x00080010, 'SH', value('SH', 'X')), fragment(jpeg32)]), 'a plain element where a fragment item belongs');
  put('fragments/none.dcm', enc([itemHeader(ITEM, 0)]), 'an offset table and no fragments');
  put('fragments/odd-garbage.dcm', enc([itemHeader(ITEM, 3), new Uint8Array([1, 2, 3]), fragment(jpeg32.subarray(0, 40))]), 'odd-length offset table and a cut JPEG fragment');

  // A DICOM SR: no pixels at all; catalogued, excluded with its reason, never decoded.
  put(
    'sr-document.dcm',
    part10(
      concat([
        element(0x00080016, 'UI', value('UI', '1.2.840.10008.5.1.4.1.1.88.11')),
        element(0x00080018, 'UI', value('UI', sop())),
        element(0x00080060, 'CS', value('CS', 'SR')),
        element(0x0040a040, 'CS', value('CS', 'CONTAINER')),
      ]),
      { sopClass: '1.2.840.10008.5.1.4.1.1.88.11' },
    ),
    'Basic Text SR, no Pixel Data',
    { excluded: 'non_image_sop' },
  );

  put('notes.dcm', 'Patient notes exported by mistake.\nThis is plain text with a .dcm name.\n', 'a text file named .dcm');

  // A JPEG whose entropy-coded segment is overwritten with noise and 0xFF runs.
  {
    const { bytes, scanStart } = await synthJpeg(128);
    const b = Buffer.from(bytes);
    for (let i = scanStart + 10; i < b.length - 2; i += 3) b[i] = 0xff;
    put('corrupt-entropy.jpg', b, 'JPEG with a corrupt entropy-coded segment');
  }

  // 60,000 × 60,000 = 3.6 gigapixels declared in a 70-byte PNG: refused by its header.
  put('bomb-60000x60000.png', pngDeclaring(60_000, 60_000), 'PNG declaring 60,000 × 60,000 pixels', { excluded: 'too_large' });

  // Decompression bombs inside DICOM: the codestream declares 60,000 × 60,000 under small tags.
  // (RG3 is a hand: screened out as not a chest, still decoded, so its bomb still meets the codec.)
  for (const [sample, marker, name, expect] of [
    ['SC_rgb_jpeg_dcmtk.dcm', 0xc0, 'bomb-jpeg-sof.dcm', { error: true }],
    ['RG3_J2KR.dcm', 0x51, 'bomb-j2k-siz.dcm', { excluded: 'body_part_not_chest' }],
  ] as const) {
    const b = new Uint8Array(fs.readFileSync(path.join(SAMPLE_DICOM, sample)));
    const start = dicomParser.parseDicom(b).elements.x7fe00010!.fragments![0]!.position;
    let at = start;
    while (at < start + 1000 && !(b[at] === 0xff && b[at + 1] === marker)) at++;
    const dv = new DataView(b.buffer);
    if (marker === 0x51) {
      dv.setUint32(at + 6, 60_000);
      dv.setUint32(at + 10, 60_000);
    } else {
      dv.setUint16(at + 5, 60_000);
      dv.setUint16(at + 7, 60_000);
    }
    put(`bombs/${name}`, b, `${sample} whose codestream declares 60,000 × 60,000`, expect);
  }

  // Symlink loops: two links naming each other, and a folder link back to the root.
  fs.symlinkSync('loop-b.dcm', path.join(dir, 'loop-a.dcm'));
  fs.symlinkSync('loop-a.dcm', path.join(dir, 'loop-b.dcm'));
  bad.push({ name: 'loop-a.dcm', what: 'symlink loop (a → b → a)', expect: { error: true } });
  bad.push({ name: 'loop-b.dcm', what: 'symlink loop (b → a → b)', expect: { error: true } });
  fs.mkdirSync(path.join(dir, 'loopdir'));
  fs.symlinkSync('..', path.join(dir, 'loopdir', 'back'));
  bad.push({ name: 'loopdir/back', what: 'folder symlink back to the import root', expect: { error: true } });

  // Unreadable entries. Root reads chmod 000 files, so a dangling link, a FIFO (whose read would
  // block for ever) and a link to a character device stand in.
  fs.symlinkSync('no-such-file.dcm', path.join(dir, 'dangling.dcm'));
  bad.push({ name: 'dangling.dcm', what: 'dangling symlink', expect: { error: true } });
  try {
    execFileSync('mkfifo', [path.join(dir, 'pipe.dcm')]);
    bad.push({ name: 'pipe.dcm', what: 'a FIFO named .dcm (reading it would block)', expect: { error: true } });
  } catch {
    notes.push('mkfifo is not available: no FIFO case');
  }
  fs.symlinkSync('/dev/zero', path.join(dir, 'dev-zero.dcm'));
  bad.push({ name: 'dev-zero.dcm', what: 'symlink to /dev/zero (an endless character device)', expect: { error: true } });
  const noperm = path.join(dir, 'no-permission.dcm');
  fs.writeFileSync(noperm, goodDicom({ sopUid: sop() }));
  fs.chmodSync(noperm, 0o000);
  if (isRoot()) {
    notes.push('running as root: chmod 000 does not stop reads, so no-permission.dcm imports; the dangling link, FIFO and /dev/zero link cover unreadable entries');
    bad.push({ name: 'no-permission.dcm', what: 'chmod 000 (readable by root)', expect: { imported: true } });
  } else {
    bad.push({ name: 'no-permission.dcm', what: 'chmod 000', expect: { error: true } });
  }
  return { dir, bad, good, notes };
}
