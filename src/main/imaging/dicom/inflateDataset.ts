import zlib from 'node:zlib';
import { ImagingError } from '../imagingError';
import { MAX_FRAME_PIXELS } from './decodeFrame';

/** What a deflated dataset may hold besides its pixel data (headers, sequences, private blobs). */
export const INFLATE_OVERHEAD_BYTES = 64 << 20;
/** Whatever its tags say, a dataset never inflates past this (the file size limit of import). */
export const MAX_INFLATED_BYTES = 1 << 30;
const UNDEFINED = 0xffffffff;
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/**
 * Walks the top level of an explicit VR little endian dataset as its bytes arrive, for the tags
 * that size the pixel data: rows, columns, samples per pixel, bits allocated and frames.
 */
class PixelTagWatch {
  private pos = 0;
  private readonly stack: { end: number | null; fragments: boolean }[] = [];
  private stopped = false;
  private rows = 0;
  private cols = 0;
  private spp = 1;
  private bits = 16;
  private frames = 1;

  /** Bytes the pixel data may take by the tags seen so far (frame pixels capped as decode caps them). */
  pixelNeed(): number {
    const pixels = Math.min(this.rows * this.cols, MAX_FRAME_PIXELS);
    return pixels * Math.max(1, this.spp) * Math.ceil(Math.max(8, this.bits) / 8) * Math.max(1, this.frames);
  }

  advance(b: Uint8Array, len: number): void {
    const dv = new DataView(b.buffer, b.byteOffset, len);
    while (!this.stopped) {
      while (this.stack.length > 0 && this.stack.at(-1)!.end !== null && this.pos >= this.stack.at(-1)!.end!) this.stack.pop();
      const p = this.pos;
      if (p + 8 > len) return;
      const group = dv.getUint16(p, true);
      const el = dv.getUint16(p + 2, true);
      if (group === 0xfffe) {
        const l = dv.getUint32(p + 4, true);
        if (el === 0xe000) {
          if (this.stack.at(-1)?.fragments) this.pos = p + 8 + (l === UNDEFINED ? 0 : l);
          else {
            this.stack.push({ end: l === UNDEFINED ? null : p + 8 + l, fragments: false });
            this.pos = p + 8;
          }
        } else {
          this.stack.pop();
          this.pos = p + 8;
        }
        continue;
      }
      const vr = String.fromCharCode(b[p + 4]!, b[p + 5]!);
      const long = LONG_VRS.has(vr);
      if (long && p + 12 > len) return;
      const head = long ? 12 : 8;
      const l = long ? dv.getUint32(p + 8, true) : dv.getUint16(p + 6, true);
      const tag = ((group << 16) | el) >>> 0;
      if (this.stack.length === 0 && tag === 0x7fe00010) {
        // Everything that sizes the pixel data comes before it.
        this.stopped = true;
        return;
      }
      if (vr === 'SQ' || l === UNDEFINED) {
        this.stack.push({ end: l === UNDEFINED ? null : p + head + l, fragments: vr !== 'SQ' });
        this.pos = p + head;
        continue;
      }
      if (this.stack.length === 0 && group === 0x0028) {
        if (p + head + l > len) return;
        const us = l >= 2 ? dv.getUint16(p + head, true) : 0;
        if (el === 0x0010) this.rows = us;
        else if (el === 0x0011) this.cols = us;
        else if (el === 0x0002) this.spp = us;
        else if (el === 0x0100) this.bits = us;
        else if (el === 0x0008) this.frames = Number.parseInt(new TextDecoder().decode(b.subarray(p + head, p + head + l)), 10) || 1;
      }
      this.pos = p + head + l;
    }
  }
}

/**
 * Inflates a Deflated Explicit VR Little Endian dataset once, streaming, under a running cap:
 * what its own tags say the pixel data needs plus INFLATE_OVERHEAD_BYTES for everything else,
 * never over MAX_INFLATED_BYTES. A file that inflates past it (a decompression bomb) is refused
 * as soon as the stream passes the cap, before the rest exists. Resolves to `prefix` (the meta
 * header) followed by the inflated dataset.
 */
export function inflateDataset(prefix: Uint8Array, deflated: Uint8Array, file: string): Promise<Uint8Array> {
  const watch = new PixelTagWatch();
  let out = new Uint8Array(Math.max(1 << 16, prefix.length + deflated.length * 4));
  out.set(prefix, 0);
  let length = prefix.length;
  return new Promise((resolve, reject) => {
    const stream = zlib.createInflateRaw();
    let settled = false;
    const fail = (err: ImagingError) => {
      if (settled) return;
      settled = true;
      stream.destroy();
      reject(err);
    };
    stream.on('data', (piece: Buffer) => {
      if (settled) return;
      const cap = Math.min(MAX_INFLATED_BYTES, INFLATE_OVERHEAD_BYTES + watch.pixelNeed());
      if (length - prefix.length + piece.length > cap) {
        fail(new ImagingError(file, 'parse_failed', `the deflated dataset inflates past ${cap} bytes, more than its tags need (a decompression bomb?)`));
        return;
      }
      if (length + piece.length > out.length) {
        const grown = new Uint8Array(Math.min(prefix.length + cap, Math.max(out.length * 2, length + piece.length)));
        grown.set(out.subarray(0, length), 0);
        out = grown;
      }
      out.set(piece, length);
      length += piece.length;
      watch.advance(out.subarray(prefix.length), length - prefix.length);
    });
    stream.on('error', (err) => fail(new ImagingError(file, 'parse_failed', `the deflated dataset does not inflate: ${err.message}`)));
    stream.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(out.subarray(0, length));
    });
    stream.end(deflated);
  });
}
