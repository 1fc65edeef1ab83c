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

describe('MaxPool and MaxPoolGrad on wasm', () => {
  it('pools as the cpu backend does (2×2 stride 2 in the SIMD kernel, simd/maxPool.c; other windows stock)', async () => {
    const report = await initBackend();
    const pool = async (backend: string, shape: [number, number, number, number], size: number, stride: number, pad: 'valid' | 'same', env?: string) => {
      await tf.setBackend(backend);
      if (env) process.env.CXR_WASM_POOL = env;
      try {
        return tf.tidy(() => tf.maxPool(tf.randomUniform(shape, -2, 1, 'float32', 13) as tf.Tensor4D, size, stride, pad).dataSync() as Float32Array);
      } finally {
        delete process.env.CXR_WASM_POOL;
      }
    };
    // All-negative windows; a row and column left over; channels not in fours and padded windows (stock).
    for (const [shape, size, stride, pad] of [
      [[2, 8, 8, 32], 2, 2, 'same'],
      [[3, 9, 11, 12], 2, 2, 'valid'],
      [[2, 8, 8, 3], 2, 2, 'same'],
      [[2, 7, 7, 8], 2, 2, 'same'],
      [[2, 9, 9, 4], 3, 2, 'same'],
    ] as const) {
      const got = await pool(report.tfjsName, [...shape], size, stride, pad);
      const want = await pool('cpu', [...shape], size, stride, pad);
      expect([...got], `${shape} pool ${size}/${stride} ${pad}`).toEqual([...want]);
      // The stock route gives the same bits, so neither route is compared with itself alone.
      expect([...(await pool(report.tfjsName, [...shape], size, stride, pad, 'xnnpack'))]).toEqual([...want]);
    }
    await tf.setBackend(report.tfjsName);
  });


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
      // 2×2 with channels in fours: the SIMD kernel (simd/maxPool.c), with ties, and with a row
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
