import fs from 'node:fs';
import zlib from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { concat, element, imageHeader, value } from './dicomWriter';

const DEFLATED = '1.2.840.10008.1.2.1.99';
const CR_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.1';
/** The zeros of the private element: with the frame the dataset inflates to ~520 MB. */
export const BOMB_ZERO_BYTES = 512 * 1024 * 1024;

/**
 * Writes a Deflated Explicit VR Little Endian file of about 0.5 MB whose dataset inflates to
 * ~520 MB: a CR header, a private OB of zeros, then a 2048×2048 16-bit frame. Streamed, so
 * making it costs no more memory than a few chunks.
 */
export async function writeDeflateBomb(file: string, sopUid: string, zeroBytes = BOMB_ZERO_BYTES): Promise<void> {
  const rows = 2048;
  const cols = 2048;
  const meta = concat([
    element(0x00020001, 'OB', new Uint8Array([0, 1])),
    element(0x00020002, 'UI', value('UI', CR_SOP_CLASS)),
    element(0x00020003, 'UI', value('UI', sopUid)),
    element(0x00020010, 'UI', value('UI', DEFLATED)),
  ]);
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128);
  const head = concat([preamble, element(0x00020000, 'UL', value('UL', meta.length)), meta]);
  const header = imageHeader({ sopUid, rows, cols, bitsAllocated: 16 });
  // A private creator, then its OB of zeros: its length is declared, its bytes follow in chunks.
  const creator = element(0x00290010, 'LO', value('LO', 'CXR BOMB'));
  const privateHead = element(0x00291000, 'OB', new Uint8Array(0), zeroBytes);
  const frame = new Uint8Array(rows * cols * 2);
  const dv = new DataView(frame.buffer);
  for (let i = 0; i < rows * cols; i++) dv.setUint16(i * 2, (i % cols) * 16, true);
  const pixelHead = element(0x7fe00010, 'OW', new Uint8Array(0), frame.length);
  const chunk = new Uint8Array(1 << 20);
  async function* dataset(): AsyncGenerator<Uint8Array> {
    yield concat([header, creator, privateHead]);
    for (let left = zeroBytes; left > 0; left -= chunk.length) yield left >= chunk.length ? chunk : chunk.subarray(0, left);
    yield pixelHead;
    yield frame;
  }
  fs.writeFileSync(file, head);
  await pipeline(Readable.from(dataset()), zlib.createDeflateRaw({ level: 9 }), fs.createWriteStream(file, { flags: 'a' }));
}
