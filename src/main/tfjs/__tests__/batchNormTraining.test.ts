import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { relErr } from '../../../../test/helpers/relErr';
import { fastBatchNormalization } from '../batchNormTraining';
import { registerWasmTrainingKernels } from '../wasmKernels';
import { simdBatchNorm } from '../wasmBatchNormTraining';
import { cxrResNet } from '../../models/architectures/cxrResNet';


interface Run {
  y: Float32Array;
  dx: Float32Array;
  dGamma: Float32Array;
  dBeta: Float32Array;
  movingMean: Float32Array;
  movingVariance: Float32Array;
}

/** One training-mode call of `layer` on x with gamma, beta set, and the gradients of Σ y·r. */
async function trainCall(layer: tf.layers.Layer, x: tf.Tensor4D, r: tf.Tensor4D, gamma: Float32Array, beta: Float32Array): Promise<Run> {
  layer.apply(x, { training: false }); // builds it
  const w = layer.getWeights(); // gamma, beta, moving mean, moving variance
  layer.setWeights([tf.tensor1d(gamma), tf.tensor1d(beta), w[2]!, w[3]!]);
  const xv = tf.variable(x);
  const [g, b] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  let y: tf.Tensor | undefined;
  const { grads } = tf.variableGrads(() => {
    const out = layer.apply(xv, { training: true }) as tf.Tensor;
    y = tf.keep(out);
    return tf.sum(tf.mul(out, r));
  }, [xv, g!, b!]);
  const read = async (t: tf.Tensor): Promise<Float32Array> => (await t.data()) as Float32Array;
  const after = layer.getWeights();
  const run = {
    y: await read(y!),
    dx: await read(grads[xv.name]!),
    dGamma: await read(grads[g!.name]!),
    dBeta: await read(grads[b!.name]!),
    movingMean: await read(after[2]!),
    movingVariance: await read(after[3]!),
  };
  tf.dispose([xv, y!, ...Object.values(grads)]);
  return run;
}

describe('batch norm training as one op with its closed-form gradient', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  // wasm takes the SIMD kernels (wasmBatchNormTraining.ts) unless CXR_WASM_SIMD=0 or C % 4 ≠ 0;
  // 3×17×13 = 663 pixels span several of their 256-pixel chunks, the last one partial.
  const cases: { backend: string; simd: boolean; shape: [number, number, number, number] }[] = [
    { backend: 'cpu', simd: false, shape: [4, 6, 5, 8] },
    { backend: 'wasm', simd: true, shape: [4, 6, 5, 8] },
    { backend: 'wasm', simd: true, shape: [3, 17, 13, 12] },
    { backend: 'wasm', simd: false, shape: [3, 17, 13, 12] },
    { backend: 'wasm', simd: false, shape: [2, 5, 5, 6] },
  ];
  for (const { backend, simd, shape } of cases) {
    it(`matches the stock layer's output, moving statistics and gradients within 1e-4 on ${backend}${simd ? ' (SIMD kernels)' : ''}, ${shape.join('×')}`, async () => {
      await tf.setBackend(backend);
      const c = shape[3];
      if (!simd) process.env.CXR_WASM_SIMD = '0';
      // Off-centre, unequal channels, as conv outputs are.
      const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), tf.linspace(0.5, 3, c)), tf.linspace(-2, 4, c))) as tf.Tensor4D;
      expect(simdBatchNorm(x) !== null, 'the route taken').toBe(simd);
      const r = tf.randomNormal(shape, 0, 1, 'float32', 2) as tf.Tensor4D;
      const gamma = tf.randomUniform([c], 0.5, 1.5, 'float32', 3).dataSync() as Float32Array;
      const beta = tf.randomNormal([c], 0, 1, 'float32', 4).dataSync() as Float32Array;
      const args = { momentum: 0.9, epsilon: 1e-3 };
      const ref = await trainCall(tf.layers.batchNormalization(args), x, r, gamma, beta);
      const got = await trainCall(fastBatchNormalization(args), x, r, gamma, beta);
      for (const k of Object.keys(ref) as (keyof Run)[]) {
        expect({ k, err: relErr(got[k], ref[k]) < 1e-4 }).toEqual({ k, err: true });
      }
      // The gradients are not trivially zero: a wrong formula could not pass by accident.
      expect(Math.max(...ref.dx.map(Math.abs))).toBeGreaterThan(0.1);
      tf.dispose([x, r]);
      delete process.env.CXR_WASM_SIMD;
    });
  }

  it('keeps the stock class and config, so cxrResNet saves and loads as stock layers with the same predictions', async () => {
    await tf.setBackend('cpu');
    const model = cxrResNet(32);
    const x = tf.randomUniform([2, 32, 32, 1], 0, 1, 'float32', 5);
    // One training call moves the moving statistics off their initial values.
    tf.dispose(model.apply(x, { training: true }) as tf.Tensor);
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const layers = (artifacts!.modelTopology as { config: { layers: { class_name: string }[] } }).config.layers.map((l) => l.class_name);
    expect(layers.filter((c) => c === 'BatchNormalization').length).toBe(12);
    expect(layers.filter((c) => c === 'Conv2D').length).toBe(12);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    const a = (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    const b = (loaded.predict(x) as tf.Tensor).dataSync() as Float32Array;
    expect(relErr(b, a)).toBeLessThan(1e-6);
    tf.dispose([x]);
    model.dispose();
    loaded.dispose();
  });
});
