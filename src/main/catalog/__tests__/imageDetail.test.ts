import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHandlers, type HandlerMap } from '../../ipc/handlers';
import { runImport } from '../../import/importRun';
import { readCard } from '../../models/card';
import { defaultModelDir } from '../../models/activeModel';
import type { ImageDetail, ImagePixels } from '../../../shared/image';
import { SHARED_DATA, tempServices } from '../../../../test/helpers/tempServices';

/** image.detail and image.get over a real import and a real prediction by the shipped default. */
const s = tempServices('cxr-image-detail-');
let h: HandlerMap;
let imageId: number;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-image-detail-src-'));

async function ok<T>(p: Promise<{ ok: boolean; value?: unknown; error?: unknown }>): Promise<T> {
  const r = await p;
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value as T;
}

beforeAll(async () => {
  fs.copyFileSync(path.join(SHARED_DATA, 'dicom', 'nih_cxr14_chest_DX.dcm'), path.join(root, 'chest.dcm'));
  const summary = await runImport({ db: s.catalog, dataDir: s.dataDir, roots: [root], labelsFromFolders: false });
  expect(summary.imported).toBe(1);
  h = createHandlers(s);
  const predicted = await s.predictions.run({}, { inline: true });
  expect(predicted.predicted).toBe(1);
  imageId = (await ok<{ rows: { imageId: number }[] }>(h['worklist.query']({}))).rows[0]!.imageId;
}, 120_000);
afterAll(async () => {
  await s.cleanup();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('image.detail', () => {
  it("carries the shipped default's prediction with its card's conformal coverage (0.9)", async () => {
    const card = readCard(defaultModelDir());
    const d = await ok<ImageDetail>(h['image.detail']({ imageId }));
    expect(d.prediction).toMatchObject({ modelId: card.id, modelName: card.name, modelVersion: card.version, conformalCoverage: 0.9 });
    const p = d.prediction!;
    expect(Object.values(p.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    for (const [label, band] of Object.entries(p.bands)) {
      expect(band.lo).toBeLessThanOrEqual(p.probabilities[label as keyof typeof p.probabilities]);
      expect(band.hi).toBeGreaterThanOrEqual(p.probabilities[label as keyof typeof p.probabilities]);
    }
    expect(p.conformalSet.length).toBeGreaterThan(0);
    // The flag's threshold is the shipped card's operating point, not the 0.5 fallback.
    expect(d.flagThreshold).toBe(card.operatingPoint!.threshold);
    expect(d.flagThreshold).not.toBe(0.5);
  });

  it('gives the worklist row, the tag browser rows, the reviews and the study strip', async () => {
    const d = await ok<ImageDetail>(h['image.detail']({ imageId }));
    expect(d.row).toMatchObject({ imageId, modality: 'DX', fileName: 'chest.dcm' });
    expect(d.tags).toContainEqual({ tag: '', name: 'Transfer syntax', value: '1.2.840.10008.1.2' });
    expect(d.tags).toContainEqual({ tag: '', name: 'Rows', value: '1024' });
    expect(d.reviews).toEqual([]);
    expect(d.studyImageIds).toEqual([imageId]);
    const missing = await h['image.detail']({ imageId: imageId + 1000 });
    expect(missing).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('image.get returns the stored rendering as one byte per pixel', async () => {
    const px = await ok<ImagePixels>(h['image.get']({ imageId }));
    expect(px.pixels).toBeInstanceOf(Uint8Array);
    expect(px.pixels.length).toBe(px.width * px.height);
    expect(Math.max(px.width, px.height)).toBeLessThanOrEqual(1024);
  });
});
