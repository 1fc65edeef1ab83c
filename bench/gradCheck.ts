/**
 * Training gradients on the active backend against the pure-JS cpu backend, for the ops our models
 * train through: conv2d (filter and input gradients, stride 1 and 2, same/valid), dense matmul,
 * max pooling, global max pooling and ELU. For the GPU check (CXR_BACKEND=webgpu); runs on any
 * backend. Prints one JSON object as the last line; exits 1 if any relative error exceeds 1e-4
 * (float32 on a GPU reorders sums, so the bound is relative to the largest gradient).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/main/tfjs/backend';

type Case = { name: string; inputs: () => tf.Tensor[]; f: (...xs: tf.Tensor[]) => tf.Tensor };

const rnd = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);
const CASES: Case[] = [
  { name: 'conv2d s1 same', inputs: () => [rnd([2, 12, 12, 3], 1), rnd([3, 3, 3, 8], 2)], f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same') },
  { name: 'conv2d s2 valid', inputs: () => [rnd([2, 13, 13, 4], 3), rnd([3, 3, 4, 5], 4)], f: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid') },
  { name: 'dense matmul', inputs: () => [rnd([16, 64], 5), rnd([64, 32], 6)], f: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D) },
  { name: 'maxpool 2x2', inputs: () => [rnd([2, 8, 8, 4], 7)], f: (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid') },
  { name: 'global max pool', inputs: () => [rnd([2, 6, 6, 4], 8)], f: (x) => tf.max(x, [1, 2]) },
  { name: 'elu', inputs: () => [rnd([4, 32], 9)], f: (x) => tf.elu(x) },
];

async function grads(c: Case): Promise<Float32Array[]> {
  const xs = c.inputs();
  // A weighted sum, so every output element's gradient matters.
  const g = tf.grads((...a: tf.Tensor[]) => {
    const y = c.f(...a);
    return tf.sum(tf.mul(y, tf.randomUniform(y.shape, 0.5, 1.5, 'float32', 42)));
  })(xs);
  const out = await Promise.all(g.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([...g, ...xs]);
  return out;
}

const report = await initBackend();
const results: { name: string; maxRelError: number }[] = [];
for (const c of CASES) {
  await tf.setBackend(report.tfjsName);
  const got = await grads(c);
  await tf.setBackend('cpu');
  const want = await grads(c);
  let rel = 0;
  got.forEach((g, i) => {
    const ref = want[i]!;
    const scale = Math.max(1e-12, ...ref.map(Math.abs));
    for (let j = 0; j < g.length; j++) rel = Math.max(rel, Math.abs(g[j]! - ref[j]!) / scale);
  });
  results.push({ name: c.name, maxRelError: rel });
}
const ok = results.every((r) => r.maxRelError <= 1e-4);
console.log(JSON.stringify({ backend: report.name, gpu: report.gpu ?? null, ok, results }));
process.exitCode = ok ? 0 : 1;
