import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend';

async function poolGrad(backend: string, shape: [number, number, number, number], size: number, stride: number, pad: 'valid' | 'same', ties = false): Promise<Float32Array> {
  await tf.setBackend(backend);
  // With ties (values on a coarse grid, as ReLU zeros are) the gradient must go to the first maximum.
  const x = tf.tidy(() => {
    const u = tf.randomUniform(shape, -1, 1, 'float32', 11);
    return ties ? tf.div(tf.round(tf.mul(u, 2)), 2) : u;
  });
  const w = tf.randomUniform(tf.maxPool(x as tf.Tensor4D, size, stride, pad).shape, 0.5, 1.5, 'float32', 12);
  const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, size, stride, pad), w)))(x);
  const out = (await g.data()) as Float32Array;
  tf.dispose([x, w, g]);
  return out;
}

describe('MaxPoolGrad on wasm', () => {
  it('routes every window’s gradient to its maximum, all-negative windows included, as the cpu backend does', async () => {
    const report = await initBackend();
    if (report.name !== 'wasm') console.log(`active backend is ${report.name}; comparing it with cpu all the same`);
    for (const [shape, size, stride, pad, ties] of [
      [[2, 8, 8, 4], 2, 2, 'valid', false],
      [[3, 9, 7, 5], 3, 2, 'same', false],
      [[2, 8, 8, 6], 2, 2, 'valid', true],
      [[2, 9, 9, 3], 3, 2, 'same', true],
      // Windows tiling the input (pool = stride, no padding): the in-place paths, 2×2 and general,
      // with a row and column left over.
      [[2, 9, 11, 5], 2, 2, 'valid', true],
      [[2, 10, 9, 4], 3, 3, 'valid', true],
      [[2, 8, 8, 3], 2, 2, 'same', false],
      // 2×2 with channels in fours: the SIMD kernel (simd/maxPoolGrad.c), with ties, and with a row
      // and column left over (which it zeroes).
      [[2, 8, 8, 8], 2, 2, 'valid', true],
      [[3, 9, 11, 12], 2, 2, 'valid', true],
      [[2, 6, 6, 16], 2, 2, 'same', false],
    ] as const) {
      const got = await poolGrad(report.tfjsName, [...shape], size, stride, pad, ties);
      const want = await poolGrad('cpu', [...shape], size, stride, pad, ties);
      // Overlapping windows sum several gradients into one input, in another order than cpu's.
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      expect(worst, `${shape} pool ${size}/${stride} ${pad}${ties ? ' with ties' : ''}`).toBeLessThan(1e-5);
      expect(got.reduce((a, b) => a + b, 0)).toBeCloseTo(want.reduce((a, b) => a + b, 0), 3);
    }
    await tf.setBackend(report.tfjsName);
  });
});
