/**
 * The threaded wasm binary in Node (src/main/tfjs/wasmThreads.ts) against the single-threaded one:
 * one 3×3 conv of a 32×32×32×32 map and a batch-32 inference of the default architecture (batch
 * norms folded), median wall and CPU ms. One thread count a process (the backend is global): run it
 * once per count, back to back.
 * Run: CXR_WASM_THREADS=2 npx tsx bench/wasmThreads.ts   (unset or 1: the single-threaded binary)
 * Prints one JSON object.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/main/tfjs/backend';
import { ARCHITECTURES, DEFAULT_ARCHITECTURE } from '../src/main/models/architectures';
import { foldBatchNorm } from '../src/main/models/foldBatchNorm';

process.env.CXR_BACKEND ??= 'wasm';
const t0 = performance.now();
const backend = await initBackend();
const initMs = performance.now() - t0;
const spec = ARCHITECTURES[DEFAULT_ARCHITECTURE];
const model = foldBatchNorm(spec.build()).model;
const x = tf.randomUniform([32, 32, 32, 32], 0, 1, 'float32', 1) as tf.Tensor4D;
const w = tf.randomNormal([3, 3, 32, 32], 0, 1, 'float32', 2) as tf.Tensor4D;
const images = tf.randomUniform([32, spec.inputSize, spec.inputSize, spec.channels], 0, 1, 'float32', 3);
const r = (v: number): number => Math.round(v * 10) / 10;
async function time(n: number, f: () => tf.Tensor): Promise<{ wallMs: number; cpuMs: number }> {
  const warm = tf.tidy(f); // warm-up: XNNPACK packs weights on first use
  await warm.data();
  warm.dispose();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const c = process.cpuUsage();
    const y = tf.tidy(f);
    await y.data();
    y.dispose();
    const d = process.cpuUsage(c);
    wall.push(performance.now() - t);
    cpu.push((d.user + d.system) / 1000);
  }
  const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
  return { wallMs: r(median(wall)), cpuMs: r(median(cpu)) };
}
console.log(
  JSON.stringify({
    backend: backend.name,
    threads: backend.threads,
    initMs: Math.round(initMs),
    loadAverage: os.loadavg().map(r),
    conv3x3: await time(20, () => tf.conv2d(x, w, 1, 'same')),
    inferBatch32: await time(8, () => model.predict(images) as tf.Tensor),
  }),
);
