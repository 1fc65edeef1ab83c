import os from 'node:os';
import sharp from 'sharp';
import type { Label } from '../../shared/labels';
import { LABELS } from '../../shared/labels';
import { resizeGray } from '../models/preprocess';
import type { Sample } from './dataset';

/** Decoded images held in memory as one packed 8-bit block: decode once, augment every epoch. */
export interface ImageCache {
  size: number;
  count: number;
  /** count × size × size gray bytes. */
  pixels: Uint8Array;
  /** Index into LABELS per image. */
  labels: Uint8Array;
  sources: string[];
  files: string[];
  /** The same images JPEG re-encoded at a random quality (compression augmentation); absent if not asked for. */
  jpeg?: Uint8Array;
}

export interface CacheOptions {
  onProgress?: (done: number, total: number) => void;
  /** Also keep a JPEG re-encoded copy of each image, its quality drawn from this range (seeded per image). */
  jpegQuality?: [number, number];
}

/** A size² gray plane through JPEG at `quality` and back. */
async function jpegRoundTrip(plane: Uint8Array, size: number, quality: number): Promise<Uint8Array> {
  const jpg = await sharp(plane, { raw: { width: size, height: size, channels: 1 } }).jpeg({ quality }).toBuffer();
  const { data } = await sharp(jpg).grayscale().raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, size * size);
}

/**
 * Decodes every sample with the shared preprocessing at `size` (the augmentation size, 96 for the
 * paper's resize-96-crop-80), a few at a time so sharp's threads stay busy.
 */
export async function buildImageCache(
  samples: readonly Sample[],
  size: number,
  { onProgress, jpegQuality }: CacheOptions = {},
): Promise<ImageCache> {
  const n = samples.length;
  const pixels = new Uint8Array(n * size * size);
  const jpeg = jpegQuality ? new Uint8Array(n * size * size) : undefined;
  const labels = new Uint8Array(n);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const s = samples[i]!;
      const plane = await resizeGray(s.file, size);
      pixels.set(plane, i * size * size);
      if (jpeg && jpegQuality) {
        // A fixed quality per image (from its index): the same cache for the same samples.
        const q = Math.round(jpegQuality[0] + (((i * 2654435761) >>> 0) / 2 ** 32) * (jpegQuality[1] - jpegQuality[0]));
        jpeg.set(await jpegRoundTrip(plane, size, q), i * size * size);
      }
      labels[i] = LABELS.indexOf(s.label as Label);
      done++;
      if (onProgress && (done % 200 === 0 || done === n)) onProgress(done, n);
    }
  };
  await Promise.all(Array.from({ length: Math.max(2, os.availableParallelism()) }, worker));
  return { size, count: n, pixels, labels, sources: samples.map((s) => s.source), files: samples.map((s) => s.file), ...(jpeg ? { jpeg } : {}) };
}
