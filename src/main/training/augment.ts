import type { ImageCache } from '../datasets/imageCache';
import { chestAugmentInto, type ChestAugment } from './chestAugment';

/** The paper's augmentation, or the shortcut-breaking one of the default model. */
export type AugmentOptions = PaperAugment | ChestAugment;

/**
 * The paper's train-time augmentation on cached gray images, done in JS straight into the batch
 * buffer: random crop (the cache is at the resize size, 96), horizontal flip, brightness shift,
 * contrast scale around the image mean. The paper's saturation jitter is a no-op on gray input.
 */
export interface PaperAugment {
  kind?: 'paper';
  flip: boolean;
  /** Max absolute brightness shift on the [0,1] scale (paper: 0.1). */
  brightness: number;
  /** Contrast factor range (paper: [0.1, 0.2], as tf.image.random_contrast was called). */
  contrast: [number, number] | null;
  /** Side the cache holds (paper: 96). */
  resize: number;
  /** Side of the random crop fed to the model (paper: 80). */
  crop: number;
}

/**
 * Writes one augmented crop×crop×channels image into `out` at `offset`.
 * `src` is the resize×resize gray plane.
 */
export function augmentInto(
  src: Uint8Array,
  opts: PaperAugment,
  rand: () => number,
  channels: number,
  out: Float32Array,
  offset: number,
): void {
  const { resize: S, crop: C } = opts;
  const ox = Math.floor(rand() * (S - C + 1));
  const oy = Math.floor(rand() * (S - C + 1));
  const flip = opts.flip && rand() < 0.5;
  const delta = opts.brightness > 0 ? (rand() * 2 - 1) * opts.brightness : 0;
  const factor = opts.contrast ? opts.contrast[0] + rand() * (opts.contrast[1] - opts.contrast[0]) : 1;
  let mean = 0;
  if (opts.contrast) {
    for (let y = 0; y < C; y++) for (let x = 0; x < C; x++) mean += src[(oy + y) * S + ox + x]!;
    mean /= C * C * 255;
  }
  let o = offset;
  for (let y = 0; y < C; y++) {
    const row = (oy + y) * S + ox;
    for (let x = 0; x < C; x++) {
      const sx = flip ? C - 1 - x : x;
      let v = src[row + sx]! / 255 + delta;
      v = (v - mean - delta) * factor + mean + delta;
      v = v < 0 ? 0 : v > 1 ? 1 : v;
      for (let c = 0; c < channels; c++) out[o++] = v;
    }
  }
}

/** Either recipe's augmentation, from a cache image into the batch buffer at `offset`. */
export function augmentSampleInto(
  cache: ImageCache,
  index: number,
  opts: AugmentOptions,
  rand: () => number,
  channels: number,
  out: Float32Array,
  offset: number,
): void {
  const px = cache.size * cache.size;
  const plane = cache.pixels.subarray(index * px, (index + 1) * px);
  if (opts.kind === 'chest') {
    const jpeg = cache.jpeg ? cache.jpeg.subarray(index * px, (index + 1) * px) : null;
    chestAugmentInto(plane, jpeg, opts, rand, channels, out, offset);
  } else augmentInto(plane, opts, rand, channels, out, offset);
}
