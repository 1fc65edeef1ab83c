import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { lazyGradConv2d } from '../conv2dLazyGrad';
import { registerWasmTrainingKernels } from '../wasmKernels';

/** Names of the kernels run while `f` runs (the real engine's calls, counted on the way through). */
function kernelsRun<T>(f: () => T): { value: T; kernels: string[] } {
  const engine = tf.engine() as unknown as { runKernel: (name: string, ...rest: unknown[]) => unknown };
  const original = engine.runKernel;
  const kernels: string[] = [];
  engine.runKernel = function (name: string, ...rest: unknown[]) {
    kernels.push(name);
    return original.call(this, name, ...rest);
  };
  try {
    return { value: f(), kernels };
  } finally {
    engine.runKernel = original;
  }
}

async function stemGrad(layer: tf.layers.Layer, x: tf.Tensor4D, r: tf.Tensor): Promise<{ y: Float32Array; dw: Float32Array; kernels: string[] }> {
  layer.apply(x); // builds it
  layer.setWeights([tf.randomNormal(layer.getWeights()[0]!.shape, 0, 1, 'float32', 7)]);
  const w = layer.trainableWeights[0]!.read() as tf.Variable;
  const y = layer.apply(x, { training: true }) as tf.Tensor;
  const { value, kernels } = kernelsRun(() => tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, r)), [w]));
  const out = { y: (await y.data()) as Float32Array, dw: (await value.grads[w.name]!.data()) as Float32Array, kernels };
  tf.dispose([y, value.value, ...Object.values(value.grads)]);
  return out;
}

describe('Conv2D without bias or activation through tf.conv2d', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const backend of ['cpu', 'wasm']) {
    it(`gives the stock layer's output and filter gradient, and no input gradient for the image (${backend})`, async () => {
      await tf.setBackend(backend);
      const x = tf.randomUniform([2, 12, 12, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
      const r = tf.randomNormal([2, 6, 6, 4], 0, 1, 'float32', 2);
      const args = { filters: 4, kernelSize: 5, strides: 2, padding: 'same' as const, useBias: false };
      const ref = await stemGrad(tf.layers.conv2d(args), x, r);
      const got = await stemGrad(lazyGradConv2d(args), x, r);
      expect(Array.from(got.y)).toEqual(Array.from(ref.y));
      const err = Math.max(...got.dw.map((v, i) => Math.abs(v - ref.dw[i]!))) / Math.max(...ref.dw.map(Math.abs));
      expect(err).toBeLessThan(1e-5);
      // The stock (fused) layer's gradient computes the image's input gradient too; this one does not.
      expect(ref.kernels).toContain('Conv2DBackpropInput');
      expect(got.kernels).not.toContain('Conv2DBackpropInput');
      expect(got.kernels).toContain('Conv2DBackpropFilter');
      tf.dispose([x, r]);
    });
  }

  it('keeps the stock path where the layer has a bias or an activation, and the stock class name', async () => {
    await tf.setBackend('cpu');
    const layer = lazyGradConv2d({ filters: 2, kernelSize: 3, activation: 'relu' });
    expect(layer.getClassName()).toBe('Conv2D');
    const x = tf.randomUniform([1, 5, 5, 1], 0, 1, 'float32', 3);
    const { kernels } = kernelsRun(() => tf.dispose(layer.apply(x) as tf.Tensor));
    expect(kernels).toContain('FusedConv2D');
    x.dispose();
  });
});
