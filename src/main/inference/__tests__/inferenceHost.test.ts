import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { tempServices } from '../../../../test/helpers/tempServices';
import { registerModel } from '../../models/registry';
import { addCatalogImage, saveTinyModel } from '../../../../test/helpers/catalogFixture';
import { tinyBranchedModel } from '../../../../test/helpers/tinyModels';
import { InferenceHost, splitRun } from '../inferenceHost';
import type { RunItem } from '../predictRun';
import { initBackend } from '../../tfjs/backend';

describe('splitRun', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => 100 + i);

  it('splits a run into contiguous parts, one per worker, that together are the run', () => {
    const parts = splitRun(ids(41), 2);
    expect(parts.map((p) => p.length)).toEqual([21, 20]);
    expect(parts.flat()).toEqual(ids(41));
  });

  it('keeps a run too small to be worth a second model load in one part', () => {
    expect(splitRun(ids(20), 4)).toEqual([ids(20)]);
    expect(splitRun(ids(3), 2)).toEqual([ids(3)]);
    expect(splitRun([], 2)).toEqual([]);
  });
});

describe('the inference pool', () => {
  const s = tempServices('cxr-pool-');
  let dir = '';
  const ids: number[] = [];

  beforeAll(async () => {
    dir = path.join(s.dataDir, 'models', 'tiny');
    await saveTinyModel(tinyBranchedModel({ dropout: 0.5, channels: 3 }), dir, 16, 3);
    registerModel(s, dir, { activate: true });
    for (let i = 0; i < 40; i++) ids.push(await addCatalogImage(s));
  });
  afterAll(() => s.cleanup());

  it('splits a run across two workers on a single-threaded backend, each image predicted once', async () => {
    const host = new InferenceHost(s, 2);
    // The workers select their backend as this process does: a native or GPU one keeps one worker.
    const b = await initBackend();
    const expected = ['wasm', 'cpu'].includes(b.name) && b.threads === 1 ? 2 : 1;
    try {
      expect(await host.size()).toBe(expected);
      const items: RunItem[] = [];
      const cancelled = await host.predict(dir, ids, (b) => items.push(...b), 4).result;
      expect(cancelled).toBe(false);
      expect(host.workers).toHaveLength(expected);
      expect(items.map((it) => it.imageId).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
      expect(items.every((it) => 'prediction' in it)).toBe(true);
      // The same image gives the same point estimate whichever worker predicts it.
      const again: RunItem[] = [];
      await host.predict(dir, [ids[35]!], (b) => again.push(...b), 4).result;
      const first = items.find((it) => it.imageId === ids[35]);
      expect(first && 'prediction' in first && again[0] && 'prediction' in again[0]).toBe(true);
      if (first && 'prediction' in first && again[0] && 'prediction' in again[0]) {
        for (const [l, p] of Object.entries(first.prediction.probs)) expect(again[0].prediction.probs[l as keyof typeof first.prediction.probs]).toBeCloseTo(p, 5);
      }
    } finally {
      await host.close();
    }
  }, 120_000);

  it('fails the run, naming the reason, when its parts fail, and stops every part', async () => {
    const host = new InferenceHost(s, 2);
    try {
      const missing = path.join(s.dataDir, 'models', 'missing');
      await expect(host.predict(missing, ids, () => {}).result).rejects.toThrow(/missing/);
    } finally {
      await host.close();
    }
  }, 60_000);
});
