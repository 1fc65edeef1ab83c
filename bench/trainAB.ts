/**
 * Before / after of the wasm training kernels in one process, alternating, so both sides see the
 * same background load: cxrResNet's training step (the training loop's own stepper, batch 32) with
 * 1 worker and with the gradient peer, each side timed by wall clock and by this process's CPU time
 * (all threads: the peer's too). "Before" runs the routes the kernels had before
 * (CXR_WASM_FILTER_GRAD=conv, CXR_WASM_INPUT_GRAD=spread, CXR_WASM_POOL_GRAD=loop), read per call,
 * so one backend serves both; each peer worker copies the environment it was started with.
 * Run: npx tsx bench/trainAB.ts   (BENCH_ARCH=cxrResNet, BENCH_ROUNDS=4, BENCH_STEPS=2 per side and round,
 * BENCH_BEFORE='{"CXR_WASM_SIMD":"0"}' for other "before" routes)
 * Prints one JSON object: median ms and CPU ms per step, img/s, per side and worker count.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/main/tfjs/backend';
import { ARCHITECTURES, type ArchitectureName } from '../src/main/models/architectures';
import { createAdam } from '../src/main/training/deviceAdam';
import { createStepper } from '../src/main/training/steps';
import { GradientPeer, type HalfBatch } from '../src/main/training/gradientPeer';

process.env.CXR_BACKEND ??= 'wasm';
const arch = (process.env.BENCH_ARCH ?? 'cxrResNet') as ArchitectureName;
const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
const steps = Number(process.env.BENCH_STEPS ?? 2);
const BATCH = 32;
// BENCH_BEFORE (a JSON object of environment variables) replaces the default "before" routes, e.g.
// '{"CXR_WASM_SIMD":"0"}' for the XNNPACK filter gradient against the SIMD kernel (simdModule.ts).
const BEFORE: Record<string, string> = process.env.BENCH_BEFORE
  ? (JSON.parse(process.env.BENCH_BEFORE) as Record<string, string>)
  : { CXR_WASM_FILTER_GRAD: 'conv', CXR_WASM_INPUT_GRAD: 'spread', CXR_WASM_POOL_GRAD: 'loop' };
type Side = 'before' | 'after';
const setSide = (side: Side): void => {
  for (const [k, v] of Object.entries(BEFORE)) {
    if (side === 'before') process.env[k] = v;
    else delete process.env[k];
  }
};

await initBackend();
const spec = ARCHITECTURES[arch];
const model = spec.build();
const adam = createAdam(tf.getBackend(), 1e-4);
const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
const stepper = createStepper(model, adam, vars, spec.inputSize, spec.channels, 0);
const x = new Float32Array(BATCH * spec.inputSize * spec.inputSize * spec.channels);
let s = 1;
for (let i = 0; i < x.length; i++) x[i] = (s = (s * 16807) % 2147483647) / 2147483647;
const batch: HalfBatch = { x, labels: Int32Array.from({ length: BATCH }, (_, i) => i % 3), weights: new Float32Array(BATCH).fill(1) };
const peers: Record<Side, GradientPeer> = {} as Record<Side, GradientPeer>;
for (const side of ['before', 'after'] as const) {
  setSide(side);
  peers[side] = await GradientPeer.start(arch);
}
const samples: Record<string, { wall: number[]; cpu: number[] }> = {};
let seed = 1;
const run = async (side: Side, workers: 1 | 2, timed: boolean): Promise<void> => {
  setSide(side);
  for (let i = 0; i < steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    if (workers === 1) await stepper.local(batch);
    else await stepper.parallel(peers[side], batch, seed++);
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (!timed) continue;
    const e = (samples[`${side}${workers}`] ??= { wall: [], cpu: [] });
    e.wall.push(wall);
    e.cpu.push((c.user + c.system) / 1000);
  }
};
const load0 = os.loadavg()[0]!;
try {
  for (const side of ['before', 'after'] as const) for (const w of [1, 2] as const) await run(side, w, false); // warm-up
  for (let r = 0; r < rounds; r++) {
    // Alternate the order each round so neither side always follows the other.
    const order: Side[] = r % 2 ? ['after', 'before'] : ['before', 'after'];
    for (const w of [1, 2] as const) for (const side of order) await run(side, w, true);
  }
} finally {
  for (const p of Object.values(peers)) await p.close();
}
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const r1 = (v: number): number => Math.round(v * 10) / 10;
const out: Record<string, { stepMs: number; cpuMsPerStep: number; imgPerS: number; steps: number }> = {};
for (const [k, e] of Object.entries(samples)) {
  out[k] = { stepMs: r1(median(e.wall)), cpuMsPerStep: r1(median(e.cpu)), imgPerS: r1((BATCH * 1000) / median(e.wall)), steps: e.wall.length };
}
console.log(JSON.stringify({ arch, backend: tf.getBackend(), cpus: os.availableParallelism(), loadAverage1m: { start: r1(load0), end: r1(os.loadavg()[0]!) }, ...out }));
