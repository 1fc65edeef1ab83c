/**
 * Model speed on the active backend: training and inference images/s at batch 32 on synthetic
 * 80×80 input after a warm-up, single-image latency and RSS, for zhong2020 and the compact default;
 * then inference of the default with a pool of worker threads, one wasm backend each (tfjs runs
 * wasm single-threaded in Node, so cores are used by more backends, not more threads).
 * Run: npm run bench:model   (BENCH_ARCHS=zhongSlim to skip the slow one; BENCH_WORKERS=2;
 * BENCH_TRAIN_STEPS=20 for more timed training steps on a GPU)
 * Prints one JSON object as the last line.
 */
import os from 'node:os';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/main/tfjs/backend';
import { ARCHITECTURES, DEFAULT_ARCHITECTURE, type ArchitectureName } from '../src/main/models/architectures';
import { createAdam } from '../src/main/training/deviceAdam';
import { fileURLToPath } from 'node:url';
import { startSourceWorker } from '../src/main/workers/startWorker';

const BATCH = 32;

function batch(size: number, channels: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const x = tf.randomUniform([BATCH, size, size, channels], 0, 1, 'float32', 1) as tf.Tensor4D;
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 3), 'int32'), 3).toFloat() as tf.Tensor2D;
  return { x, y };
}

async function timeIt(n: number, f: () => Promise<void>): Promise<number> {
  await f(); // warm-up: XNNPACK packs weights and allocates on first use
  const t = performance.now();
  for (let i = 0; i < n; i++) await f();
  return (performance.now() - t) / 1000 / n;
}

async function inferRate(arch: ArchitectureName, seconds: number): Promise<{ imgPerS: number; batches: number }> {
  const spec = ARCHITECTURES[arch];
  const model = spec.build();
  const { x } = batch(spec.inputSize, spec.channels);
  const run = async (): Promise<void> => {
    const y = model.predict(x) as tf.Tensor;
    await y.data();
    y.dispose();
  };
  await run();
  let n = 0;
  const t = performance.now();
  while (performance.now() - t < seconds * 1000) {
    await run();
    n++;
  }
  const s = (performance.now() - t) / 1000;
  model.dispose();
  x.dispose();
  return { imgPerS: (n * BATCH) / s, batches: n };
}

async function measure(arch: ArchitectureName): Promise<Record<string, number>> {
  const spec = ARCHITECTURES[arch];
  const model = spec.build();
  const { x, y } = batch(spec.inputSize, spec.channels);
  const adam = createAdam(tf.getBackend(), 1e-4);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  // zhong2020 on a CPU backend takes seconds a step: fewer timed steps there.
  const slow = arch === 'zhong2020' && ['wasm', 'cpu'].includes(tf.getBackend());
  const trainStep = await timeIt(Number(process.env.BENCH_TRAIN_STEPS ?? (slow ? 2 : 5)), async () => {
    const cost = adam.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true, vars)!;
    await cost.data();
    cost.dispose();
  });
  const inferStep = await timeIt(slow ? 3 : 8, async () => {
    const p = model.predict(x) as tf.Tensor;
    await p.data();
    p.dispose();
  });
  const one = x.slice([0, 0, 0, 0], [1, spec.inputSize, spec.inputSize, spec.channels]);
  const latency = await timeIt(10, async () => {
    const p = model.predict(one) as tf.Tensor;
    await p.data();
    p.dispose();
  });
  const rssMB = process.memoryUsage().rss / 2 ** 20;
  const params = model.countParams();
  model.dispose();
  tf.dispose([x, y, one]);
  adam.dispose();
  return {
    params,
    trainImgPerS: round(BATCH / trainStep),
    inferImgPerS: round(BATCH / inferStep),
    latencyMs: round(latency * 1000),
    rssMB: Math.round(rssMB),
  };
}

const round = (v: number): number => Math.round(v * 10) / 10;

async function pool(arch: ArchitectureName, workers: number, seconds: number): Promise<number> {
  const ws = Array.from({ length: workers }, () => startSourceWorker(fileURLToPath(import.meta.url), { workerData: { arch, seconds } }));
  const rates = await Promise.all(
    ws.map(
      (w) =>
        new Promise<number>((resolve, reject) => {
          w.once('message', (m: { imgPerS: number }) => resolve(m.imgPerS));
          w.once('error', reject);
        }),
    ),
  );
  await Promise.all(ws.map((w) => w.terminate()));
  return round(rates.reduce((a, b) => a + b, 0));
}

if (!isMainThread && parentPort && workerData) {
  const { arch, seconds } = workerData as { arch: ArchitectureName; seconds: number };
  process.env.CXR_BACKEND ??= 'wasm';
  await initBackend();
  parentPort.postMessage(await inferRate(arch, seconds));
} else {
  const backend = await initBackend();
  const archs = (process.env.BENCH_ARCHS?.split(',') ?? ['zhongSlim', 'zhong2020']) as ArchitectureName[];
  const out: Record<string, Record<string, number>> = {};
  for (const a of archs) {
    process.stderr.write(`bench: ${a}…\n`);
    out[a] = await measure(a);
  }
  // BENCH_WORKERS=0 skips the wasm worker pool (the GPU check measures one backend on one device).
  const workers = Number(process.env.BENCH_WORKERS ?? 2);
  if (workers > 0) process.stderr.write(`bench: ${DEFAULT_ARCHITECTURE} inference with 1 and ${workers} worker threads…\n`);
  const poolRates =
    workers > 0 ? { workers1: await pool(DEFAULT_ARCHITECTURE, 1, 8), [`workers${workers}`]: await pool(DEFAULT_ARCHITECTURE, workers, 8) } : null;
  console.log(
    JSON.stringify({
      backend: backend.name,
      gpu: backend.gpu ?? null,
      threads: backend.threads,
      simd: backend.simd,
      batch: BATCH,
      input: '80x80x3 synthetic',
      cpus: os.availableParallelism(),
      loadAverage1m: round(os.loadavg()[0]!),
      arch: out,
      defaultInferencePool: poolRates && { arch: DEFAULT_ARCHITECTURE, ...poolRates },
    }),
  );
}
