import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { relErr } from '../../../../test/helpers/relErr';
import { registerWasmTrainingKernels } from '../wasmKernels';
import { cxrResNet } from '../../models/architectures/cxrResNet';

/**
 * The default model's training gradients, every weight, on wasm (all the custom backward kernels in
 * one graph: strided and 1×1 input gradients, the stem's patch filter gradient, tiled MaxPoolGrad,
 * batch norm) against the cpu backend, from the same weights and batch. Dropout is off (training:
 * false would also switch batch norm to its moving statistics, so the rate is what is zeroed).
 */
// Narrower than the default, but wide enough that the stem (25 inputs a window, 32 filters) and the
// 1×1 projections take the patch route of the filter gradient, as they do at full width.
const SHAPE = { stem: 32, widths: [32, 48, 64, 64] as [number, number, number, number], blocks: [1, 1, 1, 1] as [number, number, number, number], dropout: 0 };

async function gradsOn(backend: string, weights: Float32Array[], x: Float32Array, size: number): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const model = cxrResNet(size, SHAPE);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  vars.forEach((v, i) => v.assign(tf.tensor(weights[i]!, v.shape)));
  const input = tf.tensor4d(x, [4, size, size, 1]);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3);
  const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(input, { training: true }) as tf.Tensor) as tf.Scalar, vars);
  const out = vars.map((v) => grads[v.name]!.dataSync() as Float32Array);
  tf.dispose([input, y, ...Object.values(grads)]);
  model.dispose();
  return out;
}

describe('cxrResNet training gradients on wasm', () => {
  it('match cpu within 1e-4 for every weight', async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
    const size = 64;
    await tf.setBackend('cpu');
    const init = cxrResNet(size, SHAPE);
    const weights = init.trainableWeights.map((w) => w.read().dataSync() as Float32Array);
    const names = init.trainableWeights.map((w) => w.name);
    init.dispose();
    const x = tf.randomUniform([4 * size * size], 0, 1, 'float32', 5).dataSync() as Float32Array;
    const ref = await gradsOn('cpu', weights, x, size);
    const got = await gradsOn('wasm', weights, x, size);
    expect(got.length).toBe(ref.length);
    for (let i = 0; i < ref.length; i++) expect(relErr(got[i]!, ref[i]!), names[i]).toBeLessThan(1e-4);
  });
});
