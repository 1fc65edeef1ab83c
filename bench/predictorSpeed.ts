/**
 * The predictor's own path on the shipped default model (what the inference worker runs per batch:
 * the forward pass, the scores and the 30 MC-dropout samples), against the same predictor without
 * the batch-norm fold, and the bare forward pass, interleaved batch by batch. Per variant the median
 * CPU ms of this process per batch and the img/s per CPU second it implies (wasm runs on this one
 * thread, so CPU time is a batch's cost whatever share of the cores a background run leaves it).
 * Run: npx tsx bench/predictorSpeed.ts   (BENCH_BATCH=16, the prediction run's; BENCH_SECONDS=20)
 * Prints one JSON object.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/main/tfjs/backend';
import { loadModel } from '../src/main/models/registry';
import { defaultModelDir } from '../src/main/models/activeModel';
import { foldBatchNorm } from '../src/main/models/foldBatchNorm';
import { Predictor } from '../src/main/inference/predictor';

process.env.CXR_BACKEND ??= 'wasm';
const backend = await initBackend();
const dir = defaultModelDir();
const { model, card } = await loadModel(dir);
const bs = Number(process.env.BENCH_BATCH ?? 16);
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const px = card.inputSize * card.inputSize * card.channels;
let seed = 1;
const inputs = Array.from({ length: bs }, () => Float32Array.from({ length: px }, () => (seed = (seed * 16807) % 2147483647) / 2147483647));
const qualities = inputs.map(() => null);
const folded = new Predictor(model, card);
const plain = new Predictor(model, card, { foldBatchNorm: false });
const inference = foldBatchNorm(model).model;
const x = folded.batch(inputs);
const variants: Record<string, () => Promise<unknown>> = {
  predictor: () => folded.predict(inputs, qualities),
  predictorUnfolded: () => plain.predict(inputs, qualities),
  forwardOnly: async () => {
    const y = tf.tidy(() => inference.apply(x) as tf.Tensor);
    await y.data();
    y.dispose();
  },
};
const cpuMs: Record<string, number[]> = {};
for (const [k, f] of Object.entries(variants)) {
  await f(); // warm-up: XNNPACK packs weights on first use
  cpuMs[k] = [];
}
const t0 = performance.now();
while (performance.now() - t0 < seconds * 1000) {
  for (const [k, f] of Object.entries(variants)) {
    const c = process.cpuUsage();
    await f();
    const d = process.cpuUsage(c);
    cpuMs[k]!.push((d.user + d.system) / 1000);
  }
}
const median = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;
const r = (v: number): number => Math.round(v * 10) / 10;
console.log(
  JSON.stringify({
    model: dir,
    backend: backend.name,
    batch: bs,
    nSamples: folded.nSamples,
    loadAverage: os.loadavg().map(r),
    variants: Object.fromEntries(Object.entries(cpuMs).map(([k, v]) => [k, { runs: v.length, medianCpuMs: r(median(v)), imgPerCpuS: r((bs * 1000) / median(v)) }])),
  }),
);
