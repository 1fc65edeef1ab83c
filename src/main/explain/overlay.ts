/**
 * A PNG of the heatmap over the grayscale image, for `cxr predict --heatmap` and the note:
 * the map is upsampled to the image (bicubic, by sharp) and blended with a jet colour scale whose
 * opacity follows the heat, so cold regions show the plain radiograph.
 */
import sharp from 'sharp';
import type { Heatmap } from './gradCam';

export interface GrayImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Jet: blue → cyan → yellow → red. */
function jet(v: number): [number, number, number] {
  const c = (x: number) => Math.round(255 * Math.min(1, Math.max(0, x)));
  return [c(1.5 - Math.abs(4 * v - 3)), c(1.5 - Math.abs(4 * v - 2)), c(1.5 - Math.abs(4 * v - 1))];
}

export async function renderHeatmapPng(gray: GrayImage, heatmap: Heatmap, opts: { alpha?: number } = {}): Promise<Buffer> {
  const { width, height } = gray;
  if (gray.data.length !== width * height) throw new Error(`heatmap overlay: the gray image has ${gray.data.length} bytes for ${width}×${height}`);
  const [h, w] = heatmap.shape;
  const alpha = opts.alpha ?? 0.55;
  const heat8 = Buffer.from(Uint8Array.from(heatmap.data, (v) => Math.round(255 * Math.min(1, Math.max(0, v)))));
  const up = await sharp(heat8, { raw: { width: w, height: h, channels: 1 } })
    .resize(width, height, { fit: 'fill', kernel: 'cubic' })
    // sharp widens one-channel raw input to sRGB unless told otherwise.
    .toColourspace('b-w')
    .extractChannel(0)
    .raw()
    .toBuffer();
  const out = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const v = up[i]! / 255;
    const [r, g, b] = jet(v);
    const a = alpha * Math.min(1, v * 1.5);
    const y = gray.data[i]!;
    out[3 * i] = Math.round(y * (1 - a) + r * a);
    out[3 * i + 1] = Math.round(y * (1 - a) + g * a);
    out[3 * i + 2] = Math.round(y * (1 - a) + b * a);
  }
  return sharp(out, { raw: { width, height, channels: 3 } }).png().toBuffer();
}
