import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { relErr } from '../../../../test/helpers/relErr';
import { registerWasmTrainingKernels } from '../wasmKernels';


async function gradsOn(
  backend: string,
  f: (...xs: tf.Tensor[]) => tf.Scalar,
  values: { data: Float32Array; shape: number[] }[],
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  expect(tf.getBackend()).toBe(backend);
  const xs = values.map((v) => tf.tensor(v.data, v.shape));
  const gs = tf.grads(f)(xs);
  const out = await Promise.all(gs.map(async (g) => (await g.data()) as Float32Array));
  tf.dispose([...xs, ...gs]);
  return out;
}

function random(shape: number[], seed: number): { data: Float32Array; shape: number[] } {
  return { data: tf.randomNormal(shape, 0, 1, 'float32', seed).dataSync() as Float32Array, shape };
}

describe('wasm training kernels', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
    await tf.setBackend('cpu');
  });

  const cases: { name: string; x: number[]; w: number[]; strides: number; pad: 'same' | 'valid' }[] = [
    { name: 'same padding, stride 1', x: [3, 9, 7, 4], w: [3, 3, 4, 5], strides: 1, pad: 'same' },
    { name: 'valid padding, stride 1', x: [2, 8, 8, 3], w: [3, 3, 3, 6], strides: 1, pad: 'valid' },
    { name: 'same padding, stride 2', x: [2, 9, 10, 3], w: [3, 3, 3, 4], strides: 2, pad: 'same' },
    { name: 'valid padding, stride 2, odd size', x: [2, 9, 9, 2], w: [2, 2, 2, 3], strides: 2, pad: 'valid' },
    // cxrResNet's strided convs: the 5×5 stem, a 3×3 stage entry and its 1×1 projection.
    { name: '5×5 same, stride 2, even size', x: [2, 16, 16, 1], w: [5, 5, 1, 4], strides: 2, pad: 'same' },
    { name: '3×3 same, stride 2, even size', x: [2, 8, 8, 3], w: [3, 3, 3, 5], strides: 2, pad: 'same' },
    { name: '1×1, stride 2', x: [2, 8, 8, 4], w: [1, 1, 4, 6], strides: 2, pad: 'valid' },
    // Few inputs per window (kh·kw·ci ≤ co): the filter gradient from gathered patches, the stem's route.
    { name: 'stem 5×5 same, stride 2, one channel to 32', x: [2, 16, 16, 1], w: [5, 5, 1, 32], strides: 2, pad: 'same' },
    { name: '3×3 valid, stride 2, odd size, patches', x: [2, 9, 9, 1], w: [3, 3, 1, 9], strides: 2, pad: 'valid' },
    // Input rows past the last window: the spread dy's trailing zeros are cut.
    { name: '1×1 valid, stride 3, rows left over', x: [2, 10, 11, 2], w: [1, 1, 2, 3], strides: 3, pad: 'valid' },
  ];
  for (const c of cases) {
    it(`conv2d filter and input gradients match cpu within 1e-4 (${c.name})`, async () => {
      const vals = [random(c.x, 1), random(c.w, 2)];
      const loss = (x: tf.Tensor, w: tf.Tensor): tf.Scalar =>
        tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad).square().sum();
      const ref = await gradsOn('cpu', loss, vals);
      const got = await gradsOn('wasm', loss, vals);
      expect(relErr(got[0]!, ref[0]!)).toBeLessThan(1e-4);
      expect(relErr(got[1]!, ref[1]!)).toBeLessThan(1e-4);
    });
  }

  it('dense (matMul) gradients with transposed operands match cpu within 1e-4', async () => {
    const vals = [random([5, 37], 3), random([37, 11], 4)];
    const loss = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D).elu().square().sum();
    const ref = await gradsOn('cpu', loss, vals);
    const got = await gradsOn('wasm', loss, vals);
    expect(relErr(got[0]!, ref[0]!)).toBeLessThan(1e-4);
    expect(relErr(got[1]!, ref[1]!)).toBeLessThan(1e-4);
  });
});

describe('wasm Identity', () => {
  it('shares the data of a clone instead of copying it, and the clone outlives its source', async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
    const backend = tf.backend() as unknown as { refCount(id: object): number };
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    expect(backend.refCount(x.dataId)).toBe(2);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3]);
    // A variable's assign swaps its data: a clone taken before keeps the old values.
    const v = tf.variable(tf.tensor1d([5, 6]));
    const before = tf.clone(v);
    v.assign(tf.tensor1d([7, 8]));
    expect(Array.from(await before.data())).toEqual([5, 6]);
    tf.dispose([y, v, before]);
  });
});

describe('wasm FusedBatchNorm as a per-channel multiply-add', () => {
  async function batchNormOn(backend: string, statsShape: number[], withAffine: boolean): Promise<Float32Array> {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const x = tf.add(tf.mul(tf.randomNormal([3, 5, 4, 6], 0, 1, 'float32', 11), 2), 1);
      const s = (seed: number, lo: number, hi: number) => tf.reshape(tf.randomUniform([6], lo, hi, 'float32', seed), statsShape);
      const y = tf.batchNorm(x, s(12, -1, 1), s(13, 0.2, 3), withAffine ? s(14, -1, 1) : undefined, withAffine ? s(15, 0.5, 2) : undefined, 1e-3);
      return y.dataSync() as Float32Array;
    });
  }

  for (const [name, statsShape, affine] of [
    ['per-channel statistics, scale and offset', [6], true],
    ['no scale or offset', [6], false],
    ['statistics shaped [1, 1, 1, C]', [1, 1, 1, 6], true],
  ] as const) {
    it(`matches cpu within 1e-5 (${name})`, async () => {
      await tf.setBackend('wasm');
      registerWasmTrainingKernels();
      const ref = await batchNormOn('cpu', [...statsShape], affine);
      const got = await batchNormOn('wasm', [...statsShape], affine);
      expect(relErr(got, ref)).toBeLessThan(1e-5);
    });
  }
});

describe('wasm per-channel Sum and Equal', () => {
  async function on<T>(backend: string, f: () => T): Promise<T> {
    await tf.setBackend(backend);
    return f();
  }

  for (const [shape, keepDims] of [
    [[4, 7, 5, 6], false],
    [[2, 64, 64, 8], true],
    [[3, 1, 1, 5], false],
  ] as const) {
    it(`Sum over [0, 1, 2] matches cpu within 1e-5 (${shape.join('×')}${keepDims ? ', keepDims' : ''})`, async () => {
      await tf.setBackend('wasm');
      registerWasmTrainingKernels();
      const run = () =>
        tf.tidy(() => {
          const x = tf.add(tf.randomNormal([...shape], 0, 1, 'float32', 21), tf.linspace(-3, 5, shape[3]));
          const s = tf.sum(x, [0, 1, 2], keepDims);
          return { data: s.dataSync() as Float32Array, shape: s.shape };
        });
      const ref = await on('cpu', run);
      const got = await on('wasm', run);
      expect(got.shape).toEqual(ref.shape);
      expect(relErr(got.data, ref.data)).toBeLessThan(1e-5);
    });
  }

  it('Equal of a map with its per-channel maximum, and the gradient of global max pooling, match cpu exactly', async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
    const run = () =>
      tf.tidy(() => {
        // Values on a coarse grid: several maxima per channel, as ReLU and ELU maps have.
        // Each image on its own scale, so a maximum taken from the wrong image would not match.
        const grid = tf.div(tf.round(tf.mul(tf.randomUniform([3, 6, 5, 4], -1, 1, 'float32', 22), 3)), 3);
        const x = tf.mul(grid, tf.tensor4d([1, 2, 4], [3, 1, 1, 1])) as tf.Tensor4D;
        const m = tf.max(x, [1, 2], true);
        const eqImage = tf.equal(x, m).dataSync();
        const eqShared = tf.equal(tf.max(x, [0, 1, 2], true), x).dataSync(); // one value per channel, map second
        const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.max(a, [1, 2]), tf.linspace(1, 2, 4))))(x).dataSync();
        return { eqImage: Array.from(eqImage), eqShared: Array.from(eqShared), g: Array.from(g) };
      });
    const ref = await on('cpu', run);
    const got = await on('wasm', run);
    expect(got.eqImage).toEqual(ref.eqImage);
    expect(got.eqShared).toEqual(ref.eqShared);
    expect(got.g).toEqual(ref.g);
    expect(ref.eqImage.filter((v) => v === 1).length).toBeGreaterThan(12);
  });
});

describe('wasm Tile along the outer axis', () => {
  const cases: { name: string; shape: number[]; reps: number[]; dtype: 'float32' | 'int32' | 'bool' }[] = [
    { name: "MC dropout's pooled features, 30 samples", shape: [16, 256], reps: [30, 1], dtype: 'float32' },
    { name: 'a 4-D map, int32', shape: [2, 3, 4, 5], reps: [3, 1, 1, 1], dtype: 'int32' },
    { name: 'bool, once', shape: [5, 2], reps: [1, 1], dtype: 'bool' },
    // Not the outer axis only: the stock kernel's answer.
    { name: 'inner axes (stock path)', shape: [2, 3, 4], reps: [2, 3, 2], dtype: 'float32' },
  ];
  for (const c of cases) {
    it(`matches cpu exactly (${c.name})`, async () => {
      await tf.setBackend('wasm');
      registerWasmTrainingKernels();
      const run = () =>
        tf.tidy(() => {
          const u = tf.randomUniform(c.shape, -3, 3, 'float32', 5);
          const x = c.dtype === 'bool' ? tf.greater(u, 0) : tf.cast(tf.mul(u, 7), c.dtype);
          const y = tf.tile(x, c.reps);
          return { shape: y.shape, data: Array.from(y.dataSync()) };
        });
      const ref = await (async () => {
        await tf.setBackend('cpu');
        return run();
      })();
      await tf.setBackend('wasm');
      const got = run();
      expect(got.shape).toEqual(ref.shape);
      expect(got.data).toEqual(ref.data);
      expect(new Set(ref.data).size).toBeGreaterThan(1);
    });
  }
});
