/**
 * Model speed on the active backend, beside its PyTorch peer in the same run. Per architecture, at
 * batch 32 on synthetic input after a warm-up:
 * - tfjs train img/s with 1 worker (this thread) and 2 (this thread plus the gradient peer, as
 *   trainModel trains on two cores: steps.ts), both through the training loop's own step;
 * - tfjs infer img/s with 1 and 2 worker threads, one wasm backend each (tfjs runs wasm
 *   single-threaded in Node, so cores are used by more backends, not more threads), and
 *   single-image latency and RSS in this thread;
 * - PyTorch's train and infer img/s on 2 threads (bench/torchPeer.py: the same architectures with the
 *   same parameter counts, median of 3 runs), and each tfjs figure as a ratio of PyTorch's.
 * The peer runs after the tfjs side, so the two never share the cores; it runs only on CPU backends
 * and is skipped, saying why, where PyTorch is not installed (Debian's python3-torch).
 * Inference runs on the model as the predictor runs it, batch norms folded into the convs
 * (src/main/models/foldBatchNorm.ts), layer by layer through ModelGraph (models/forwardPass.ts);
 * BENCH_FOLD=0 runs the model as built instead. PyTorch on this machine runs inference in one of
 * two modes from process to process, about 200 or about 900–1100 img/s for cxrResNet (the same
 * seed, flushing denormals or not): compare with its fast runs.
 * Run: npm run bench:model   (BENCH_ARCHS=zhongSlim,cxrResNet to choose; BENCH_INFER_ONLY=1 skips training; BENCH_WORKERS=0 skips the
 * gradient peer and the worker pool (the GPU check); BENCH_TRAIN_STEPS=20 for more timed training
 * steps on a GPU; BENCH_INFER_SECONDS=4; BENCH_TORCH=0 skips PyTorch)
 * Prints one JSON object as the last line.
 */
import os from 'node:os';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/main/tfjs/backend';
import { ARCHITECTURES, DEFAULT_ARCHITECTURE, type ArchitectureName } from '../src/main/models/architectures';
import { createAdam } from '../src/main/training/deviceAdam';
import { createStepper } from '../src/main/training/steps';
import { GradientPeer, type HalfBatch } from '../src/main/training/gradientPeer';
import { fileURLToPath } from 'node:url';
import { startSourceWorker } from '../src/main/workers/startWorker';
import { findTorchPython, runTorchPeer } from './torchPeer';
import { foldBatchNorm } from '../src/main/models/foldBatchNorm';
import { ModelGraph } from '../src/main/models/forwardPass';

const BATCH = 32;
const CPU_BACKENDS = ['wasm', 'cpu', 'tfjs-node'];
const FOLD = process.env.BENCH_FOLD !== '0';
const INFER_ONLY = process.env.BENCH_INFER_ONLY === '1';

/** The model inference runs: folded as the predictor folds it, unless BENCH_FOLD=0. */
function inferenceModel(model: tf.LayersModel): tf.LayersModel {
  return FOLD ? foldBatchNorm(model).model : model;
}

/**
 * One forward pass to the probabilities as the predictor runs it (ModelGraph, layer by layer),
 * not model.predict, whose batching and checks cost about 5 ms more a batch of 32 (8 %).
 */
function forwardOf(model: tf.LayersModel): (x: tf.Tensor) => Promise<void> {
  const graph = new ModelGraph(model);
  return async (x) => {
    const y = tf.tidy(() => graph.output(graph.forward(x, true)));
    await y.data();
    y.dispose();
  };
}

async function timeIt(n: number, f: () => Promise<void>): Promise<number> {
  await f(); // warm-up: XNNPACK packs weights and allocates on first use
  const t = performance.now();
  for (let i = 0; i < n; i++) await f();
  return (performance.now() - t) / 1000 / n;
}

/** A synthetic batch as the training loop builds it: pixels in [0, 1), labels 0, 1, 2, …, unit weights. */
function halfBatch(arch: ArchitectureName): HalfBatch {
  const { inputSize, channels } = ARCHITECTURES[arch];
  const x = new Float32Array(BATCH * inputSize * inputSize * channels);
  let s = 1;
  for (let i = 0; i < x.length; i++) x[i] = (s = (s * 16807) % 2147483647) / 2147483647;
  return { x, labels: Int32Array.from({ length: BATCH }, (_, i) => i % 3), weights: new Float32Array(BATCH).fill(1) };
}

async function inferRate(arch: ArchitectureName, seconds: number): Promise<{ imgPerS: number; batches: number }> {
  const spec = ARCHITECTURES[arch];
  const built = spec.build();
  const model = inferenceModel(built);
  const x = tf.tensor4d(halfBatch(arch).x, [BATCH, spec.inputSize, spec.inputSize, spec.channels]);
  const forward = forwardOf(model);
  const run = (): Promise<void> => forward(x);
  await run();
  let n = 0;
  const t = performance.now();
  while (n < 2 || performance.now() - t < seconds * 1000) {
    await run();
    n++;
  }
  const s = (performance.now() - t) / 1000;
  if (model !== built) model.dispose();
  built.dispose();
  x.dispose();
  return { imgPerS: (n * BATCH) / s, batches: n };
}

const round = (v: number): number => Math.round(v * 10) / 10;

async function measure(arch: ArchitectureName, workers: number, steps: number): Promise<Record<string, number>> {
  const spec = ARCHITECTURES[arch];
  const model = spec.build();
  const adam = createAdam(tf.getBackend(), 1e-4);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const stepper = createStepper(model, adam, vars, spec.inputSize, spec.channels, 0);
  const batch = halfBatch(arch);
  const out: Record<string, number> = { params: model.countParams() };
  if (!INFER_ONLY) out.trainImgPerS = round(BATCH / (await timeIt(steps, async () => void (await stepper.local(batch)))));
  if (workers >= 2 && !INFER_ONLY) {
    const peer = await GradientPeer.start(arch);
    try {
      let seed = 1;
      out.train2ImgPerS = round(BATCH / (await timeIt(steps, async () => void (await stepper.parallel(peer, batch, seed++)))));
    } finally {
      await peer.close();
    }
  }
  const x = tf.tensor4d(batch.x, [BATCH, spec.inputSize, spec.inputSize, spec.channels]);
  const infer = inferenceModel(model);
  const forward = forwardOf(infer);
  const inferStep = await timeIt(Math.max(3, steps * 2), () => forward(x));
  out.inferImgPerS = round(BATCH / inferStep);
  const one = x.slice([0, 0, 0, 0], [1, spec.inputSize, spec.inputSize, spec.channels]);
  const latency = await timeIt(10, () => forward(one));
  out.latencyMs = round(latency * 1000);
  out.rssMB = Math.round(process.memoryUsage().rss / 2 ** 20);
  if (infer !== model) infer.dispose();
  model.dispose();
  tf.dispose([x, one]);
  adam.dispose();
  return out;
}

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

interface TorchSide {
  trainImgPerS: number;
  inferImgPerS: number;
  params: number;
}

function torchSide(backend: string, archs: ArchitectureName[], steps: (a: ArchitectureName) => number): { note: string } | { version: string; threads: number; arch: Record<string, TorchSide> } {
  if (process.env.BENCH_TORCH === '0') return { note: 'skipped: BENCH_TORCH=0' };
  if (!CPU_BACKENDS.includes(backend)) return { note: `skipped: ${backend} is not a CPU backend` };
  const py = findTorchPython();
  if (py.python === null) return { note: `skipped: ${py.reason}` };
  const arch: Record<string, TorchSide> = {};
  let threads = 0;
  for (const a of archs) {
    process.stderr.write(`bench: ${a} on PyTorch…\n`);
    const r = runTorchPeer<{ threads: number; arch: Record<string, TorchSide> }>(py.python, ['--archs', a, '--steps', String(steps(a)), '--threads', '2']);
    threads = r.threads;
    arch[a] = r.arch[a]!;
  }
  return { version: py.version, threads, arch };
}

if (!isMainThread && parentPort && workerData) {
  const { arch, seconds } = workerData as { arch: ArchitectureName; seconds: number };
  process.env.CXR_BACKEND ??= 'wasm';
  await initBackend();
  parentPort.postMessage(await inferRate(arch, seconds));
} else {
  const backend = await initBackend();
  const archs = (process.env.BENCH_ARCHS?.split(',') ?? ['zhongSlim', 'zhong2020', 'cxrResNet']) as ArchitectureName[];
  // BENCH_WORKERS=0: no gradient peer and no worker pool (the GPU check measures one backend on one device).
  const workers = Number(process.env.BENCH_WORKERS ?? 2);
  const inferSeconds = Number(process.env.BENCH_INFER_SECONDS ?? 4);
  // zhong2020 on a CPU backend takes seconds a step: fewer timed steps there.
  const slow = (a: ArchitectureName): boolean => a === 'zhong2020' && CPU_BACKENDS.includes(backend.name);
  const steps = (a: ArchitectureName): number => Number(process.env.BENCH_TRAIN_STEPS ?? (slow(a) ? 2 : 4));
  const out: Record<string, Record<string, number>> = {};
  for (const a of archs) {
    process.stderr.write(`bench: ${a}…\n`);
    out[a] = await measure(a, workers, steps(a));
    if (workers > 0) {
      out[a].infer1WorkerImgPerS = await pool(a, 1, inferSeconds);
      out[a][`infer${workers}WorkersImgPerS`] = await pool(a, workers, inferSeconds);
    }
  }
  const torch = torchSide(backend.name, archs, steps);
  const ratios: Record<string, Record<string, number>> = {};
  if ('arch' in torch) {
    for (const a of archs) {
      const t = torch.arch[a]!;
      const mine = out[a]!;
      const r = (v: number | undefined, peer: number): number | undefined => (v === undefined ? undefined : Math.round((v / peer) * 100) / 100);
      ratios[a] = JSON.parse(
        JSON.stringify({
          train1: r(mine.trainImgPerS, t.trainImgPerS),
          train2: r(mine.train2ImgPerS, t.trainImgPerS),
          infer1: r(mine.infer1WorkerImgPerS ?? mine.inferImgPerS, t.inferImgPerS),
          [`infer${workers}`]: r(mine[`infer${workers}WorkersImgPerS`], t.inferImgPerS),
        }),
      ) as Record<string, number>;
    }
  }
  console.log(
    JSON.stringify({
      backend: backend.name,
      gpu: backend.gpu ?? null,
      threads: backend.threads,
      simd: backend.simd,
      batch: BATCH,
      input: 'synthetic, each architecture at its own size (80×80×3; cxrResNet 128×128×1)',
      cpus: os.availableParallelism(),
      loadAverage1m: round(os.loadavg()[0]!),
      // The 1, 5 and 15 min load (uptime): figures taken while other work ran are depressed, ratios less so.
      loadAverage: os.loadavg().map(round),
      default: DEFAULT_ARCHITECTURE,
      inferenceFoldsBatchNorm: FOLD,
      arch: out,
      torch,
      ratioToTorch: ratios,
    }),
  );
}
