import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { SHARED_DATA } from '../../../../test/helpers/tempServices';
import { readDicomImage } from '../dicom/dicomImage';
import { renderingPath, storeRendering } from '../../renderings/renderingStore';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-mono1-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

/** Mean gray of a region given as fractions of the image. */
function roi(img: { data: Uint8Array; width: number; height: number }, x0: number, x1: number, y0: number, y1: number): number {
  let sum = 0;
  let n = 0;
  for (let y = Math.floor(y0 * img.height); y < y1 * img.height; y++) {
    for (let x = Math.floor(x0 * img.width); x < x1 * img.width; x++) {
      sum += img.data[y * img.width + x]!;
      n++;
    }
  }
  return sum / n;
}

describe('MONOCHROME1', () => {
  it('the RG1 chest (MONOCHROME1) shows its lungs dark on the stored normalised rendering', async () => {
    const d = await readDicomImage(path.join(SHARED_DATA, 'dicom', 'RG1_JLSN.dcm'));
    expect(d.tags.photometric).toBe('MONOCHROME1');
    expect(d.steps).toMatchObject({ inverted: true, voi: 'window' });
    const { hash, width, height } = await storeRendering(dataDir, d.image);
    expect(Math.max(width, height)).toBe(1024);
    // Read the PNG back: the check is on what the model and viewer will really get.
    const { data, info } = await sharp(renderingPath(dataDir, hash)).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    const img = { data: new Uint8Array(data), width: info.width, height: info.height };
    const leftLung = roi(img, 0.15, 0.35, 0.2, 0.45);
    const rightLung = roi(img, 0.6, 0.8, 0.2, 0.45);
    const mediastinum = roi(img, 0.42, 0.55, 0.3, 0.6);
    const abdomen = roi(img, 0.1, 0.4, 0.8, 0.95);
    // Air is dark and dense tissue bright, as a radiologist reads a chest film.
    expect(leftLung).toBeLessThan(mediastinum - 40);
    expect(rightLung).toBeLessThan(mediastinum - 40);
    expect(leftLung).toBeLessThan(abdomen - 40);
  });

  it('is inverted exactly once: the MONOCHROME1 RG3 renders as the photographic negative of its stored values', async () => {
    const d = await readDicomImage(path.join(SHARED_DATA, 'dicom', 'RG3_JPLL.dcm'));
    // Without inversion a higher stored value would be brighter; with it (once) darker.
    let hi = -1;
    let lo = -1;
    const s = d.frame.samples;
    for (let i = 0; i < s.length; i++) {
      if (hi < 0 || s[i]! > s[hi]!) hi = i;
      if (lo < 0 || s[i]! < s[lo]!) lo = i;
    }
    expect(d.image.data[hi]!).toBeLessThan(d.image.data[lo]!);
  });
});
