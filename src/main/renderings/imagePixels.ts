/** The pixels the viewer shows: an image's stored rendering or thumbnail, as 8-bit grey typed arrays. */
import fs from 'node:fs';
import sharp from 'sharp';
import { CxrError } from '../../shared/errors';
import type { ImagePixels } from '../../shared/image';
import { readRendering, renderingPath, thumbnailPath } from './renderingStore';

/** What the store needs to know of a catalogued image. */
export interface StoredImage {
  id: number;
  renderingHash: string | null;
  fileKind: string;
  sourcePath: string;
}

/** The viewer's longest side; renderings are stored at about this size. */
const VIEW_MAX = 1024;

/**
 * Raster originals of rows written without a rendering (synthetic catalogs) are shown through
 * sharp; everything import wrote is read from its stored rendering.
 */
function rasterFallback(image: StoredImage): string {
  if (image.fileKind !== 'dicom' && fs.existsSync(image.sourcePath)) return image.sourcePath;
  throw new CxrError('NOT_FOUND', `image ${image.id} has no rendering to show`);
}

/** The normalised rendering import stored (the pixels the model saw), longest side ≤ 1024. */
export async function viewPixels(dataDir: string, image: StoredImage): Promise<ImagePixels> {
  if (image.renderingHash && fs.existsSync(renderingPath(dataDir, image.renderingHash))) {
    const r = await readRendering(dataDir, image.renderingHash);
    return { imageId: image.id, width: r.width, height: r.height, pixels: r.data };
  }
  return greyPixels(rasterFallback(image), image.id, VIEW_MAX);
}

/** The stored thumbnail (else the rendering, else the raster original), longest side ≤ `size`. */
export async function thumbnailPixels(dataDir: string, image: StoredImage, size: number): Promise<ImagePixels> {
  const thumb = image.renderingHash ? thumbnailPath(dataDir, image.renderingHash) : null;
  const rendering = image.renderingHash ? renderingPath(dataDir, image.renderingHash) : null;
  const file = [thumb, rendering].find((f): f is string => f !== null && fs.existsSync(f)) ?? rasterFallback(image);
  return greyPixels(file, image.id, size);
}

async function greyPixels(file: string, imageId: number, maxSide: number): Promise<ImagePixels> {
  const { data, info } = await sharp(file)
    .greyscale()
    .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const channels = info.channels;
  // sharp may keep an alpha channel; keep the grey one only.
  const pixels = channels === 1 ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(info.width * info.height);
  if (channels !== 1) for (let i = 0; i < pixels.length; i++) pixels[i] = data[i * channels]!;
  return { imageId, width: info.width, height: info.height, pixels: new Uint8Array(pixels) };
}
