/**
 * Heatmaps cached per image and model under <dataDir>/heatmaps/<model>/<image>.cam, as a small
 * binary file (a heatmap is a tensor: it is never stored as JSON numbers). Layout, little-endian:
 * 'CAM2', u32 height, u32 width, u32 class index, the layer name in 64 bytes (UTF-8, NUL-padded),
 * then height·width float32. Other files (an older 'CAM1' without the layer) are recomputed.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Heatmap } from './gradCam';
import { ensurePrivateDir, writeFileAtomic } from '../services/privateFiles';

const MAGIC = 0x324d4143; // 'CAM2'
const HEADER = 16 + 64;

/**
 * The cache file of one image under one model. Model ids are ours, but the path stays inside
 * heatmaps/ whatever they contain: other characters become '_', and a name starting with a dot
 * ('.', '..', '.hidden') gets a '_' in front, so no id names a parent or the folder itself.
 */
export function camPath(dataDir: string, modelId: string, imageId: number): string {
  let safe = modelId.replace(/[^A-Za-z0-9._-]/g, '_');
  if (safe === '' || safe.startsWith('.')) safe = `_${safe}`;
  const root = path.join(dataDir, 'heatmaps');
  const file = path.join(root, safe, `${Math.trunc(imageId)}.cam`);
  if (path.relative(root, file).startsWith('..')) throw new Error(`model id ${JSON.stringify(modelId)} does not name a heatmap folder`);
  return file;
}

export function writeCachedHeatmap(dataDir: string, modelId: string, imageId: number, heatmap: Heatmap, classIndex: number): void {
  const [h, w] = heatmap.shape;
  const buf = Buffer.alloc(HEADER + 4 * h * w);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(h, 4);
  buf.writeUInt32LE(w, 8);
  buf.writeUInt32LE(classIndex, 12);
  buf.write(heatmap.layer.slice(0, 64), 16, 64, 'utf8');
  Buffer.from(heatmap.data.buffer, heatmap.data.byteOffset, heatmap.data.byteLength).copy(buf, HEADER);
  const file = camPath(dataDir, modelId, imageId);
  ensurePrivateDir(path.dirname(file));
  // Owner-only (a heatmap is derived from the patient's image), written then renamed: never half a file.
  writeFileAtomic(file, buf);
}

/** The cached heatmap, or null when there is none (or the file is not one of ours). */
export function readCachedHeatmap(dataDir: string, modelId: string, imageId: number): { heatmap: Heatmap; classIndex: number } | null {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(camPath(dataDir, modelId, imageId));
  } catch {
    return null;
  }
  if (buf.length < HEADER || buf.readUInt32LE(0) !== MAGIC) return null;
  const h = buf.readUInt32LE(4);
  const w = buf.readUInt32LE(8);
  if (buf.length !== HEADER + 4 * h * w) return null;
  const data = new Float32Array(h * w);
  new Uint8Array(data.buffer).set(buf.subarray(HEADER));
  const layer = buf.toString('utf8', 16, HEADER).replace(/\0+$/, '');
  return { heatmap: { data, shape: [h, w], layer }, classIndex: buf.readUInt32LE(12) };
}
