import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { registerConvFilterGradByMatMul } from '../webgpuKernels';

/**
 * The matmul filter gradient is built only from kernels every backend has, so its arithmetic is
 * checked here on the cpu backend against cpu's own Conv2DBackpropFilter. (On WebGPU,
 * bench/gradCheck.ts does the same on the GPU check.)
 */
type Shape4 = [number, number, number, number];
type Case = { name: string; x: Shape4; w: Shape4; strides: number; pad: 'same' | 'valid' };
const CASES: Case[] = [
  { name: '3×3 stride 1 same', x: [2, 9, 9, 3], w: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { name: '3×3 stride 2 same, odd size', x: [2, 9, 7, 2], w: [3, 3, 2, 5], strides: 2, pad: 'same' },
  { name: '3×3 stride 2 valid', x: [1, 8, 8, 2], w: [3, 3, 2, 3], strides: 2, pad: 'valid' },
  { name: '1×1', x: [3, 5, 5, 4], w: [1, 1, 4, 2], strides: 1, pad: 'same' },
  { name: '5×3 stride 1 valid', x: [2, 10, 9, 1], w: [5, 3, 1, 2], strides: 1, pad: 'valid' },
];

async function filterGrad(c: Case): Promise<Float32Array> {
  const x = tf.randomUniform(c.x, -1, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomUniform(c.w, -1, 1, 'float32', 2) as tf.Tensor4D;
  const g = tf.grad((f: tf.Tensor) => {
    const y = tf.conv2d(x, f as tf.Tensor4D, c.strides, c.pad);
    return tf.sum(tf.mul(y, tf.randomUniform(y.shape, 0.5, 1.5, 'float32', 3)));
  })(w);
  const out = (await g.data()) as Float32Array;
  tf.dispose([x, w, g]);
  return out;
}

let stock: tf.KernelConfig | undefined;
afterAll(() => {
  if (!stock) return;
  tf.unregisterKernel('Conv2DBackpropFilter', 'cpu');
  tf.registerKernel(stock);
});

describe('Conv2DBackpropFilter as matrix products', () => {
  it('matches the stock filter gradient for strides 1 and 2, same and valid, and leaks no tensors', async () => {
    await tf.setBackend('cpu');
    const want = await Promise.all(CASES.map(filterGrad));
    stock = registerConvFilterGradByMatMul('cpu');
    const before = tf.memory().numTensors;
    const bytes = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    for (const [i, c] of CASES.entries()) {
      const got = await filterGrad(c);
      const ref = want[i]!;
      const scale = Math.max(...ref.map(Math.abs));
      const err = Math.max(...got.map((v, j) => Math.abs(v - ref[j]!))) / scale;
      expect(err, c.name).toBeLessThan(1e-5);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(bytes);
  });
});
