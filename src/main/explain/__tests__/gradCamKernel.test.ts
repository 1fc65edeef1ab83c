import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../tfjs/backend';
import { registerWasmTrainingKernels } from '../../tfjs/wasmKernels';

describe('A·Bᵀ with a small A (the Grad-CAM gradient through a large Dense)', () => {
  it('matches a plain float64 product on the active backend', async () => {
    if ((await initBackend()).name === 'wasm') registerWasmTrainingKernels();
    const a = tf.randomUniform([2, 24], -1, 1, 'float32', 1);
    const b = tf.randomUniform([300, 24], -1, 1, 'float32', 2);
    const got = tf.matMul(a, b, false, true).arraySync() as number[][];
    const A = a.arraySync() as number[][];
    const B = b.arraySync() as number[][];
    expect(got).toHaveLength(2);
    expect(got[0]).toHaveLength(300);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 300; j++) expect(got[i]![j]).toBeCloseTo(A[i]!.reduce((s, v, k) => s + v * B[j]![k]!, 0), 4);
    tf.dispose([a, b]);
  });
});
