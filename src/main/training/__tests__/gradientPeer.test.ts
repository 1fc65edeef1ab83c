import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../tfjs/backend';
import { ARCHITECTURES } from '../../models/architectures';
import { batchLoss, GradientPeer, type HalfBatch } from '../gradientPeer';
import { dataParallel, trainModel } from '../trainModel';
import { paperRecipe } from '../recipe';
import { readCard } from '../../models/card';
import { fewPerClass } from '../../../../test/helpers/smallData';

let dir: string;
beforeAll(async () => {
  process.env.CXR_BACKEND = 'wasm';
  await initBackend();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-peer-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('data-parallel training with a gradient peer', () => {
  it("computes the same gradient in its thread as this thread does, at this thread's weights", async () => {
    const spec = ARCHITECTURES.zhongSlim;
    const model = spec.build();
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const m = 4;
    const px = spec.inputSize * spec.inputSize * spec.channels;
    const batch: HalfBatch = {
      x: tf.randomUniform([m * px], 0, 1, 'float32', 11).dataSync() as Float32Array,
      labels: Int32Array.from([0, 1, 2, 1]),
      weights: Float32Array.from([10, 3, 1, 3]),
    };
    // Inference mode: no dropout, so both threads compute exactly the same function.
    const { value, grads } = tf.variableGrads(() => batchLoss(model, batch, spec.inputSize, spec.channels, 0.12, false).loss, vars);
    const mine = vars.map((v) => grads[v.name]!.dataSync() as Float32Array);
    const loss = value.dataSync()[0]!;
    const peer = await GradientPeer.start('zhongSlim');
    try {
      const weights = await Promise.all(vars.map(async (v) => (await v.data()) as Float32Array));
      const copy = { ...batch, x: batch.x.slice(), labels: batch.labels.slice(), weights: batch.weights.slice() };
      const theirs = await peer.compute(weights, copy, 0.12, false, 1);
      expect(theirs.loss).toBeCloseTo(loss, 5);
      expect(theirs.grads).toHaveLength(vars.length);
      theirs.grads.forEach((g, i) => {
        const ref = mine[i]!;
        const scale = Math.max(1e-12, ...ref.map(Math.abs));
        expect(Math.max(...g.map((v, j) => Math.abs(v - ref[j]!))) / scale).toBeLessThan(1e-5);
      });
    } finally {
      await peer.close();
      tf.dispose([value, ...Object.values(grads)]);
      model.dispose();
    }
  });

  it('trains with two backends, repeats under the same seed, and says so on the card', async () => {
    const input = { train: fewPerClass('train', 8), val: fewPerClass('val', 4) };
    const recipe = paperRecipe('zhongSlim', { epochs: 1, batchSize: 8, seed: 5 });
    const a = await trainModel(input, { recipe, outDir: path.join(dir, 'a'), workers: 2, checkpoints: false });
    const b = await trainModel(input, { recipe, outDir: path.join(dir, 'b'), workers: 2, checkpoints: false });
    expect(Number.isFinite(a.history[0]!.loss)).toBe(true);
    expect(b.history[0]!.loss).toBe(a.history[0]!.loss);
    expect(readCard(a.outDir!).backend?.workers).toBe(2);
  });

  it('goes on alone when the peer fails mid-run: the run completes and nothing is lost', async () => {
    const input = { train: fewPerClass('train', 8), val: fewPerClass('val', 4) };
    const real = GradientPeer.prototype.compute;
    let calls = 0;
    const spy = vi.spyOn(GradientPeer.prototype, 'compute').mockImplementation(function (this: GradientPeer, ...args) {
      calls++;
      return calls === 2 ? Promise.reject(new Error('peer thread died')) : real.apply(this, args);
    });
    try {
      const r = await trainModel(input, { recipe: paperRecipe('zhongSlim', { epochs: 1, batchSize: 8, seed: 5 }), outDir: path.join(dir, 'c'), workers: 2 });
      expect(r.status).toBe('completed');
      expect(Number.isFinite(r.history[0]!.loss)).toBe(true);
      // Three batches: the first with the peer, the second's failure, then no more peer calls.
      expect(calls).toBe(2);
      expect(readCard(r.outDir!).valMetrics?.n).toBe(12);
    } finally {
      spy.mockRestore();
    }
  });

  it('is used on wasm for compact models with two cores, never for the 63M-weight model on auto', () => {
    expect(dataParallel('auto', 'wasm', 251_027, 2)).toBe(true);
    expect(dataParallel('auto', 'wasm', 63_148_835, 2)).toBe(false);
    expect(dataParallel('auto', 'wasm', 251_027, 1)).toBe(false);
    expect(dataParallel('auto', 'webgpu', 251_027, 16)).toBe(false);
    expect(dataParallel(2, 'wasm', 63_148_835, 2)).toBe(true);
    expect(dataParallel(undefined, 'wasm', 251_027, 2)).toBe(false);
  });
});
