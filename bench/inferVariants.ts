/**
 * A/B of inference variants of one architecture in one thread, interleaved batch by batch, so that
 * background load (a training run) weighs on every variant alike: per variant the median wall ms of
 * a batch and the img/s it implies, and the median CPU ms of this process per batch (wasm runs on
 * this one thread, so CPU time is the batch's cost whatever share of the cores it got) with the
 * img/s per CPU second it implies: what one idle core would give, less cache contention. Variants: the model as built, and as the predictor runs it (batch
 * norms folded, foldBatchNorm.ts), each at the batch sizes asked for, and under each set of
 * environment variables asked for (read per call by the wasm kernels: wasmConv.ts, wasmMaxPoolGrad.ts).
 * Run: npx tsx bench/inferVariants.ts   (BENCH_ARCH=cxrResNet, BENCH_SECONDS=20, BENCH_BATCHES=32 or 8,32,64,
 * BENCH_MODELS=folded to time only the folded model, BENCH_ENVS='{"xnnpack":{"CXR_WASM_CONV":"xnnpack","CXR_WASM_POOL":"xnnpack"},"ours":{}}')
 * Prints one JSON object.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/main/tfjs/backend';
import { ARCHITECTURES, type ArchitectureName } from '../src/main/models/architectures';
import { foldBatchNorm } from '../src/main/models/foldBatchNorm';

process.env.CXR_BACKEND ??= 'wasm';
const arch = (process.env.BENCH_ARCH ?? 'cxrResNet') as ArchitectureName;
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const batches = (process.env.BENCH_BATCHES ?? '32').split(',').map(Number);

const backend = await initBackend();
const spec = ARCHITECTURES[arch];
const built = spec.build();
const folded = foldBatchNorm(built).model;
const models: Record<string, tf.LayersModel> = Object.fromEntries(
  Object.entries({ asBuilt: built, folded }).filter(([name]) => !process.env.BENCH_MODELS || process.env.BENCH_MODELS.split(',').includes(name)),
);
const envs = JSON.parse(process.env.BENCH_ENVS ?? '{"default":{}}') as Record<string, Record<string, string>>;
const envKeys = [...new Set(Object.values(envs).flatMap((e) => Object.keys(e)))];
const setEnv = (e: Record<string, string>): void => {
  for (const k of envKeys) {
    if (k in e) process.env[k] = e[k];
    else delete process.env[k];
  }
};

interface Variant {
  name: string;
  env: string;
  batch: number;
  run: () => Promise<void>;
  ms: number[];
  cpuMs: number[];
}
const variants: Variant[] = [];
for (const [name, model] of Object.entries(models)) {
  for (const batch of batches) {
    const x = tf.randomUniform([batch, spec.inputSize, spec.inputSize, spec.channels], 0, 1, 'float32', 1);
    for (const [env, vars] of Object.entries(envs)) {
      variants.push({
        name,
        env,
        batch,
        ms: [],
        cpuMs: [],
        run: async () => {
          setEnv(vars);
          const y = model.predict(x) as tf.Tensor;
          await y.data();
          y.dispose();
        },
      });
    }
  }
}
for (const v of variants) await v.run(); // warm-up: XNNPACK packs weights on first use
const t0 = performance.now();
while (performance.now() - t0 < seconds * 1000) {
  for (const v of variants) {
    const t = performance.now();
    const c = process.cpuUsage();
    await v.run();
    const dc = process.cpuUsage(c);
    v.ms.push(performance.now() - t);
    v.cpuMs.push((dc.user + dc.system) / 1000);
  }
}
const median = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;
const r = (v: number): number => Math.round(v * 10) / 10;
console.log(
  JSON.stringify({
    arch,
    backend: backend.name,
    loadAverage: os.loadavg().map(r),
    variants: variants.map((v) => ({ model: v.name, env: v.env, batch: v.batch, runs: v.ms.length, medianMs: r(median(v.ms)), imgPerS: r((v.batch * 1000) / median(v.ms)), medianCpuMs: r(median(v.cpuMs)), imgPerCpuS: r((v.batch * 1000) / median(v.cpuMs)) })),
  }),
);
