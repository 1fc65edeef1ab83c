import os from 'node:os';
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
}

/**
 * Decodes every sample with the shared preprocessing at `size` (the augmentation size, 96 for the
 * paper's resize-96-crop-80), a few at a time so sharp's threads stay busy.
 */
export async function buildImageCache(
  samples: readonly Sample[],
  size: number,
  onProgress?: (done: number, total: number) => void,
): Promise<ImageCache> {
  const n = samples.length;
  const pixels = new Uint8Array(n * size * size);
  const labels = new Uint8Array(n);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const s = samples[i]!;
      pixels.set(await resizeGray(s.file, size), i * size * size);
      labels[i] = LABELS.indexOf(s.label as Label);
      done++;
      if (onProgress && (done % 200 === 0 || done === n)) onProgress(done, n);
    }
  };
  await Promise.all(Array.from({ length: Math.max(2, os.availableParallelism()) }, worker));
  return { size, count: n, pixels, labels, sources: samples.map((s) => s.source), files: samples.map((s) => s.file) };
}
