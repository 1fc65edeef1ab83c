import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { GrayImage } from '../imaging/pixel/renderFrame';

/** The normalised rendering's longest side, and the thumbnail's. */
export const RENDERING_MAX_SIDE = 1024;
const THUMBNAIL_MAX_SIDE = 256;

export const renderingPath = (dataDir: string, hash: string): string => path.join(dataDir, 'renderings', `${hash}.png`);
export const thumbnailPath = (dataDir: string, hash: string): string => path.join(dataDir, 'thumbnails', `${hash}.png`);

/** Gray in, gray out: without toColourspace sharp widens one-channel input to sRGB on output. */
function rawInput(img: GrayImage) {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 1 } }).toColourspace('b-w');
}

/** Writes through a temp name and a rename, so a crash never leaves a half-written PNG under its hash. */
async function writeAtomically(file: string, bytes: Buffer): Promise<void> {
  if (fs.existsSync(file)) return;
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  await fs.promises.writeFile(tmp, bytes, { mode: 0o600 });
  await fs.promises.rename(tmp, file);
}

/**
 * Stores an image's normalised 8-bit gray rendering (longest side ≤ 1024) and its 256-px
 * thumbnail, both PNG, named by the sha256 of the rendering's pixels and size. Returns the hash.
 */
export async function storeRendering(dataDir: string, image: GrayImage): Promise<{ hash: string; width: number; height: number }> {
  let img = image;
  if (Math.max(img.width, img.height) > RENDERING_MAX_SIDE) {
    const { data, info } = await rawInput(img)
      .resize({ width: RENDERING_MAX_SIDE, height: RENDERING_MAX_SIDE, fit: 'inside' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) throw new Error(`resizing a rendering gave ${info.channels} channels, expected 1`);
    img = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  }
  const hash = crypto
    .createHash('sha256')
    .update(`${img.width}x${img.height}\n`)
    .update(img.data)
    .digest('hex');
  const file = renderingPath(dataDir, hash);
  const thumb = thumbnailPath(dataDir, hash);
  const [png, thumbPng] = await Promise.all([
    fs.existsSync(file) ? null : rawInput(img).png({ compressionLevel: 3 }).toBuffer(),
    fs.existsSync(thumb)
      ? null
      : rawInput(img)
          .resize({ width: THUMBNAIL_MAX_SIDE, height: THUMBNAIL_MAX_SIDE, fit: 'inside', withoutEnlargement: true })
          .png({ compressionLevel: 3 })
          .toBuffer(),
  ]);
  if (png) await writeAtomically(file, png);
  if (thumbPng) await writeAtomically(thumb, thumbPng);
  return { hash, width: img.width, height: img.height };
}

/** Reads a PNG from the store back as gray pixels, one byte each. */
async function readGrayPng(file: string): Promise<GrayImage> {
  const { data, info } = await sharp(file).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`${file}: expected a one-channel PNG, got ${info.channels} channels`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/**
 * A stored rendering by its hash: 8-bit gray, one byte per pixel, longest side ≤ 1024. The model
 * code resizes it to its own input size.
 */
export async function readRendering(dataDir: string, hash: string): Promise<GrayImage> {
  const file = renderingPath(dataDir, hash);
  if (!fs.existsSync(file)) throw new Error(`rendering file is missing: ${file}`);
  return readGrayPng(file);
}
