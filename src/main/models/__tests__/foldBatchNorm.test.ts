import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../tfjs/backend';
import { foldBatchNorm } from '../foldBatchNorm';
import { cxrResNet } from '../architectures/cxrResNet';
import { loadModel } from '../registry';
import { defaultModelDir } from '../activeModel';
import { preprocess } from '../preprocess';
import { ModelGraph } from '../forwardPass';
import { fewPerClass } from '../../../../test/helpers/smallData';
import { Predictor } from '../../inference/predictor';

/** Gives every batch norm statistics far from the identity, so a wrong fold shows in the output. */
function randomizeBatchNorms(model: tf.LayersModel): void {
  let seed = 1;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const ws = layer.getWeights();
    // gamma, beta, moving mean, moving variance (variance kept positive)
    layer.setWeights(ws.map((w, i) => (i === 3 ? tf.randomUniform(w.shape, 0.2, 3, 'float32', seed++) : tf.randomNormal(w.shape, i === 0 ? 1 : 0, 0.5, 'float32', seed++))));
  }
}

const predictAll = async (model: tf.LayersModel, x: tf.Tensor): Promise<Float32Array> => {
  const y = model.predict(x) as tf.Tensor;
  const out = (await y.data()) as Float32Array;
  y.dispose();
  return out;
};

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

function shippedDir(): string | null {
  try {
    return defaultModelDir();
  } catch {
    return null;
  }
}

describe('foldBatchNorm', () => {
  beforeAll(async () => {
    process.env.CXR_BACKEND ??= 'wasm';
    await initBackend();
  });
  afterAll(() => {
    tf.disposeVariables();
  });

  it('folds every batch norm of cxrResNet and the ReLUs after them into the convs, same output, the given model untouched', async () => {
    const model = cxrResNet(64);
    randomizeBatchNorms(model);
    const bnCount = model.layers.filter((l) => l.getClassName() === 'BatchNormalization').length;
    const before = model.getWeights().map((w) => w.dataSync().slice());
    const { model: folded, folded: pairs } = foldBatchNorm(model);
    expect(pairs).toHaveLength(bnCount);
    // The stem's and each block's first ReLU fold; the others follow a sum or nothing.
    expect(pairs.filter((p) => p.relu !== null).map((p) => p.conv)).toEqual(['stem_conv', 'stage1_block1_a_conv', 'stage2_block1_a_conv', 'stage3_block1_a_conv', 'stage4_block1_a_conv']);
    expect(folded.layers.some((l) => l.getClassName() === 'BatchNormalization')).toBe(false);
    // Each pair trades γ, β, μ, σ² for one bias per channel.
    expect(folded.countParams()).toBe(model.countParams() - pairs.reduce((n, p) => n + 3 * (model.getLayer(p.batchNorm).getWeights()[0]!.size), 0));
    const x = tf.randomUniform([4, 64, 64, 1], 0, 1, 'float32', 9);
    const [a, b] = [await predictAll(model, x), await predictAll(folded, x)];
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
    // The trained model still has its batch norms and its own weights.
    expect(model.layers.filter((l) => l.getClassName() === 'BatchNormalization')).toHaveLength(bnCount);
    model.getWeights().forEach((w, i) => expect(maxAbsDiff(w.dataSync() as Float32Array, before[i] as Float32Array)).toBe(0));
    // The folded ReLUs are the convs' activations now (tf.fused.conv2d), not layers of their own.
    expect(folded.layers.map((l) => l.name)).not.toContain('stem_relu');
    expect((folded.getLayer('stem_conv').getConfig() as { activation: string }).activation).toBe('relu');
    // Grad-CAM finds the same conv blocks by name.
    const graph = new ModelGraph(folded);
    expect(graph.convBlocks.map((c) => c.name)).toEqual(new ModelGraph(model).convBlocks.map((c) => c.name));
    tf.dispose(x);
    model.dispose();
    folded.dispose();
  });

  it('adds the batch norm to a conv bias and leaves a conv whose output another layer reads unfolded', async () => {
    const input = tf.input({ shape: [8, 8, 2] });
    const c1 = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', useBias: true, biasInitializer: 'randomNormal', name: 'c1' }).apply(input) as tf.SymbolicTensor;
    const b1 = tf.layers.batchNormalization({ name: 'b1' }).apply(c1) as tf.SymbolicTensor;
    const c2 = tf.layers.conv2d({ filters: 3, kernelSize: 1, useBias: false, name: 'c2' }).apply(b1) as tf.SymbolicTensor;
    const b2 = tf.layers.batchNormalization({ name: 'b2' }).apply(c2) as tf.SymbolicTensor;
    // c2's output is read twice (b2 and the sum): folding b2 into c2 would change the sum.
    const sum = tf.layers.add({ name: 'sum' }).apply([b2, c2]) as tf.SymbolicTensor;
    const out = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(sum) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    randomizeBatchNorms(model);
    const { model: folded, folded: pairs } = foldBatchNorm(model);
    expect(pairs).toEqual([{ conv: 'c1', batchNorm: 'b1', relu: null }]);
    expect(folded.layers.map((l) => l.name)).toContain('b2');
    const x = tf.randomNormal([3, 8, 8, 2], 0, 1, 'float32', 4);
    expect(maxAbsDiff(await predictAll(model, x), await predictAll(folded, x))).toBeLessThan(1e-5);
    tf.dispose(x);
    model.dispose();
    folded.dispose();
  });

  it('returns the model itself when it has no batch norm to fold', () => {
    const input = tf.input({ shape: [4, 4, 1] });
    const y = tf.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu' }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: y });
    const r = foldBatchNorm(model);
    expect(r.model).toBe(model);
    expect(r.folded).toEqual([]);
    model.dispose();
  });

  const dir = shippedDir();
  it.skipIf(!dir || !fs.existsSync(fewPerClass('val', 1)[0]?.file ?? ''))(`gives the shipped model's probabilities on real val images within 1e-4, and the predictor its scores and Grad-CAM (${dir ?? 'no shipped model'})`, async () => {
    const { model, card } = await loadModel(dir!);
    const { model: folded, folded: pairs } = foldBatchNorm(model);
    expect(pairs.length).toBeGreaterThan(0);
    const samples = fewPerClass('val', 4);
    const px = card.inputSize * card.inputSize * card.channels;
    const buf = new Float32Array(samples.length * px);
    for (const [i, s] of samples.entries()) buf.set(await preprocess(s.file, { size: card.inputSize, channels: card.channels }), i * px);
    const x = tf.tensor4d(buf, [samples.length, card.inputSize, card.inputSize, card.channels]);
    const [a, b] = [await predictAll(model, x), await predictAll(folded, x)];
    const diff = maxAbsDiff(a, b);
    console.log(`shipped model, ${samples.length} val images: max |Δp| folded vs unfolded = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);
    // The probabilities are not degenerate (a fold that zeroed everything would agree trivially).
    expect(Math.max(...a)).toBeGreaterThan(0.5);

    // The predictor runs folded by default: its logits, calibrated probabilities and Grad-CAM are
    // the unfolded model's.
    const fast = new Predictor(model, card);
    const slow = new Predictor(model, card, { foldBatchNorm: false });
    expect(fast.graph.model).not.toBe(model);
    expect(slow.graph.model).toBe(model);
    const [sf, ss] = [await fast.scores(x), await slow.scores(x)];
    expect(maxAbsDiff(sf.calibrated, ss.calibrated)).toBeLessThan(1e-4);
    expect(maxAbsDiff(sf.logits, ss.logits)).toBeLessThan(1e-3);
    const one = buf.subarray(0, px);
    const [hf, hs] = [await fast.heatmap(one), await slow.heatmap(one)];
    expect(hf.classIndex).toBe(hs.classIndex);
    expect(hf.heatmap.layer).toBe(hs.heatmap.layer);
    expect(maxAbsDiff(hf.heatmap.data, hs.heatmap.data)).toBeLessThan(1e-3);
    fast.dispose();
    slow.dispose();
    tf.dispose(x);
    model.dispose();
    folded.dispose();
  }, 60_000);
});
