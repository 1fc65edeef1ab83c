import sharp from 'sharp';
import { ImagingError, describeThrown } from './imagingError';
import { MAX_FRAME_PIXELS } from './dicom/decodeFrame';
import type { GrayImage } from './pixel/renderFrame';

/** Declared size of a JPEG/PNG, read from its header only (no pixel decode). */
export async function rasterSize(bytes: Uint8Array, file: string): Promise<{ width: number; height: number }> {
  try {
    const m = await sharp(bytes, { limitInputPixels: false }).metadata();
    if (!m.width || !m.height) throw new Error('no image size in the header');
    return { width: m.width, height: m.height };
  } catch (err) {
    throw new ImagingError(file, 'undecodable', `not a readable JPEG/PNG: ${describeThrown(err)}`);
  }
}

/**
 * Decodes a JPEG/PNG to 8-bit gray, EXIF orientation applied, already shrunk so its longest side
 * is at most `maxSide` (sharp's shrink-on-load makes that much cheaper than a full decode).
 * Refuses images over 100 megapixels before allocating them.
 */
export async function decodeRaster(bytes: Uint8Array, file: string, maxSide: number): Promise<GrayImage> {
  try {
    // 'warning': libjpeg only warns on a corrupt entropy segment and would hand back garbage pixels.
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_FRAME_PIXELS, failOn: 'warning' })
      .rotate()
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .removeAlpha()
      .grayscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) throw new Error(`expected 1 channel after grayscale, got ${info.channels}`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (err) {
    throw new ImagingError(file, 'undecodable', `JPEG/PNG could not be decoded: ${describeThrown(err)}`);
  }
}
