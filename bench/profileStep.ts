/**
 * Where a training step's time goes on wasm, kernel by kernel: every wasm kernel is wrapped with a
 * wall-clock timer (wasm kernels run synchronously, so the time a call takes is its kernel's time),
 * the outermost call only,
 * then a few batch-32 Adam steps of one architecture run after a warm-up. Prints one JSON object:
 * step time, and per kernel and input shape the ms per step and the share of the step.
 * Run: npx tsx bench/profileStep.ts   (BENCH_ARCH=cxrResNet, BENCH_STEPS=3; BENCH_MODE=infer profiles
 * batch-32 inference instead, on the model as the predictor runs it (ModelGraph), batch norms folded: BENCH_FOLD=0 for
 * the model as built)
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/main/tfjs/backend';
import { ARCHITECTURES, type ArchitectureName } from '../src/main/models/architectures';
import { createAdam } from '../src/main/training/deviceAdam';
import { foldBatchNorm } from '../src/main/models/foldBatchNorm';
import { ModelGraph } from '../src/main/models/forwardPass';

process.env.CXR_BACKEND ??= 'wasm';
const arch = (process.env.BENCH_ARCH ?? 'cxrResNet') as ArchitectureName;
const steps = Number(process.env.BENCH_STEPS ?? 3);
const BATCH = 32;

await initBackend();
const totals = new Map<string, { ms: number; calls: number }>();
let timing = false;
// Kernels built from other kernels (wasmKernels.ts) call them through the registry: only the
// outermost call is timed, so the shares add up to the kernel time.
let depth = 0;
for (const cfg of tf.getKernelsForBackend('wasm')) {
  const inner = cfg.kernelFunc;
  tf.unregisterKernel(cfg.kernelName, 'wasm');
  tf.registerKernel({
    ...cfg,
    kernelFunc: ((args: { inputs: Record<string, tf.TensorInfo>; attrs: Record<string, unknown> }) => {
      if (!timing || depth > 0) return inner(args as never);
      const t = performance.now();
      depth++;
      let out;
      try {
        out = inner(args as never);
      } finally {
        depth--;
      }
      const ms = performance.now() - t;
      const first = Object.values(args.inputs)[0];
      const key = `${cfg.kernelName} ${first ? first.shape.join('x') : ''}${args.attrs?.strides ? ` s${String(args.attrs.strides)}` : ''}`;
      const e = totals.get(key) ?? { ms: 0, calls: 0 };
      e.ms += ms;
      e.calls++;
      totals.set(key, e);
      return out;
    }) as tf.KernelFunc,
  });
}

const spec = ARCHITECTURES[arch];
const model = spec.build();
const x = tf.randomUniform([BATCH, spec.inputSize, spec.inputSize, spec.channels], 0, 1, 'float32', 1);
const y = tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 3), 'int32'), 3).toFloat();
const adam = createAdam(tf.getBackend(), 1e-4);
const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
const infer = process.env.BENCH_MODE === 'infer';
const inferModel = infer && process.env.BENCH_FOLD !== '0' ? foldBatchNorm(model).model : model;
// Through ModelGraph, as the predictor runs it (model.predict slices the batch: 2 ms more).
const graph = infer ? new ModelGraph(inferModel) : null;
const step = async (): Promise<void> => {
  if (infer) {
    const p = tf.tidy(() => graph!.output(graph!.forward(x, true)));
    await p.data();
    p.dispose();
    return;
  }
  const cost = adam.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true, vars)!;
  await cost.data();
  cost.dispose();
};
await step();
timing = true;
const t0 = performance.now();
for (let i = 0; i < steps; i++) await step();
const stepMs = (performance.now() - t0) / steps;
timing = false;
const kernelMs = [...totals.values()].reduce((a, e) => a + e.ms, 0) / steps;
const byKernel = new Map<string, number>();
for (const [k, e] of totals) byKernel.set(k.split(' ')[0]!, (byKernel.get(k.split(' ')[0]!) ?? 0) + e.ms / steps);
const r = (v: number): number => Math.round(v * 10) / 10;
console.log(
  JSON.stringify({
    arch,
    mode: infer ? 'infer' : 'train',
    steps,
    stepMs: r(stepMs),
    imgPerS: r((BATCH * 1000) / stepMs),
    kernelMs: r(kernelMs),
    outsideKernelsMs: r(stepMs - kernelMs),
    byKernel: Object.fromEntries([...byKernel].sort((a, b) => b[1] - a[1]).map(([k, ms]) => [k, { ms: r(ms), share: r((100 * ms) / stepMs) }])),
    top: [...totals]
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, 25)
      .map(([k, e]) => ({ kernel: k, msPerStep: r(e.ms / steps), callsPerStep: e.calls / steps })),
  }),
);
