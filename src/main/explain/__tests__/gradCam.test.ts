import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { ModelGraph } from '../../models/forwardPass';
import { initBackend } from '../../tfjs/backend';
import { registerWasmTrainingKernels } from '../../tfjs/wasmKernels';
import { gradCam } from '../gradCam';
import { readCachedHeatmap, writeCachedHeatmap } from '../heatmapCache';
import { renderHeatmapPng } from '../overlay';
import { rng } from '../../../../test/helpers/syntheticLogits';
import { withoutSyncReads } from '../../../../test/helpers/forbidSyncReads';

const SIZE = 24;

/** Noise images; class 0 also has a bright 5×5 blob at a random place. Returns the blob centres. */
function blobData(n: number, seed: number): { x: tf.Tensor4D; y: number[]; centres: ([number, number] | null)[] } {
  const r = rng(seed);
  const data = new Float32Array(n * SIZE * SIZE);
  const y: number[] = [];
  const centres: ([number, number] | null)[] = [];
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < SIZE * SIZE; p++) data[i * SIZE * SIZE + p] = 0.3 * r();
    const cls = i % 2 === 0 ? 0 : 1;
    y.push(cls);
    if (cls === 0) {
      const cy = 3 + Math.floor(r() * (SIZE - 6));
      const cx = 3 + Math.floor(r() * (SIZE - 6));
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) data[i * SIZE * SIZE + (cy + dy) * SIZE + cx + dx] = 1;
      centres.push([cy, cx]);
    } else centres.push(null);
  }
  return { x: tf.tensor4d(data, [n, SIZE, SIZE, 1]), y, centres };
}

function blobModel(): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
  const input = tf.input({ shape: [SIZE, SIZE, 1] });
  let h = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1) }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(2) }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(3) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

describe('Grad-CAM', () => {
  let model: tf.LayersModel;
  beforeAll(async () => {
    // The pure-JS cpu backend trains convs far too slowly; wasm needs the project's training kernels.
    if ((await initBackend()).name === 'wasm') registerWasmTrainingKernels();
    model = blobModel();
    const train = blobData(160, 1);
    model.compile({ optimizer: tf.train.adam(0.02), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    await model.fit(train.x, tf.oneHot(tf.tensor1d(train.y, 'int32'), 3), { epochs: 25, batchSize: 32, verbose: 0 });
  });
  afterAll(() => tf.disposeVariables());

  it('peaks on the bright blob that defines the class', async () => {
    const test = blobData(24, 99);
    const g = new ModelGraph(model);
    const blobIdx = test.centres.flatMap((c, i) => (c ? [i] : []));
    const x = tf.gather(test.x, blobIdx) as tf.Tensor4D;
    const { heatmaps, classes } = await gradCam(g, x, blobIdx.map(() => 0));
    expect(classes.every((c) => c === 0)).toBe(true);
    let hits = 0;
    heatmaps.forEach((hm, j) => {
      const [h, w] = hm.shape;
      expect([h, w]).toEqual([SIZE / 2, SIZE / 2]);
      const peak = hm.data.indexOf(Math.max(...hm.data));
      const [cy, cx] = test.centres[blobIdx[j]!]!;
      // One heatmap cell is 2 px; the blob is 5 px wide.
      if (Math.abs(Math.floor(peak / w) * 2 + 0.5 - cy) <= 3 && Math.abs((peak % w) * 2 + 0.5 - cx) <= 3) hits++;
    });
    expect(hits / heatmaps.length).toBeGreaterThanOrEqual(0.9);
  });

  it('explains the predicted class by default and scales each map to a maximum of 1', async () => {
    const test = blobData(4, 5);
    const g = new ModelGraph(model);
    // Without classes it reads the predictions back itself: asynchronously, as WebGPU needs.
    const { heatmaps, classes } = await withoutSyncReads(() => gradCam(g, test.x));
    const predicted = (model.predict(test.x) as tf.Tensor).argMax(1).arraySync() as number[];
    expect(classes).toEqual(predicted);
    for (const hm of heatmaps) {
      const max = Math.max(...hm.data);
      expect(max === 0 || Math.abs(max - 1) < 1e-5).toBe(true);
      expect(Math.min(...hm.data)).toBeGreaterThanOrEqual(0);
    }
  });

  it('caches a heatmap per image and model as float32 with its shape, and overlays it as a PNG', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-cam-'));
    try {
      const hm = { data: new Float32Array([0, 0.25, 0.5, 1, 0, 0]), shape: [2, 3] as [number, number], layer: 'block4_conv3' };
      writeCachedHeatmap(dir, 'model/a', 7, hm, 2);
      expect(readCachedHeatmap(dir, 'model/a', 7)).toEqual({ heatmap: hm, classIndex: 2 });
      expect(readCachedHeatmap(dir, 'model/a', 8)).toBeNull();
      expect(readCachedHeatmap(dir, 'other', 7)).toBeNull();
      const gray = { data: new Uint8Array(60 * 40).fill(100), width: 60, height: 40 };
      const png = await renderHeatmapPng(gray, hm);
      const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height, info.channels]).toEqual([60, 40, 3]);
      // Hot corner (bottom left, value 1 → red) vs cold corners (value 0 → the gray itself).
      const px = (x: number, y: number) => Array.from(data.subarray((y * 60 + x) * 3, (y * 60 + x) * 3 + 3));
      const [r, gch, b] = px(1, 38);
      expect(r).toBeGreaterThan(gch! + 50);
      expect(r).toBeGreaterThan(b! + 50);
      expect(px(1, 1)).toEqual([100, 100, 100]);
      expect(px(58, 38)).toEqual([100, 100, 100]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
