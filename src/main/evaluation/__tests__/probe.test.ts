import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../tfjs/backend';
import { registerWasmTrainingKernels } from '../../tfjs/wasmKernels';
import { Predictor } from '../../inference/predictor';
import { runProbe } from '../probe';
import { calibrateFromScores, scoreInputs } from '../../confidence/calibrate';
import { rng } from '../../../../test/helpers/syntheticLogits';
import { tinyBranchedModel } from '../../../../test/helpers/tinyModels';

const SIZE = 24;

/** Noise images; class 0 (COVID-19 in the label order) has a bright marker in the top-left corner. */
function cornerData(n: number, seed: number): { inputs: Float32Array[]; labels: number[] } {
  const r = rng(seed);
  const inputs: Float32Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = Float32Array.from({ length: SIZE * SIZE }, () => 0.2 + 0.4 * r());
    const y = i % 2 === 0 ? 0 : 2;
    // The same pixels probe.ts paints for its corner marker (4-14 % of the side).
    if (y === 0) for (let yy = 1; yy < 3; yy++) for (let xx = 1; xx < 3; xx++) x[yy * SIZE + xx] = 1;
    inputs.push(x);
    labels.push(y);
  }
  return { inputs, labels };
}

describe('shortcut probe and calibration on a model that learned a corner marker', () => {
  let predictor: Predictor;
  beforeAll(async () => {
    if ((await initBackend()).name === 'wasm') registerWasmTrainingKernels();
    const model = tinyBranchedModel({ size: SIZE, seed: 5 });
    const train = cornerData(160, 1);
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    const x = tf.tensor4d(Float32Array.from(train.inputs.flatMap((a) => Array.from(a))), [160, SIZE, SIZE, 1]);
    await model.fit(x, tf.oneHot(tf.tensor1d(train.labels, 'int32'), 3), { epochs: 15, batchSize: 32, verbose: 0 });
    predictor = new Predictor(model, { inputSize: SIZE, channels: 1 });
  });
  afterAll(() => tf.disposeVariables());

  it('shows the shortcut: borders masked flip far more than the lung centre; a corner marker makes COVID-19', async () => {
    const test = cornerData(40, 2);
    const r = await runProbe(predictor, test.inputs, { labels: test.labels, data: 'synthetic' });
    expect(r.n).toBe(40);
    const p = r.perturbations;
    expect(p['mask-borders']!.flipRate).toBeGreaterThan(0.3);
    expect(p['mask-lung-centre']!.flipRate).toBeLessThan(0.1);
    expect(r.lungCentreMinusBorders).toBeLessThan(-0.2);
    expect(p['mask-borders']!.flipRateByClass!.COVID19).toBeGreaterThan(0.6);
    expect(p['corner-marker']!.flipToCovidRate).toBeGreaterThan(0.3);
    expect(p['corner-marker']!.meanDeltaPCovid).toBeGreaterThan(0.2);
    for (const v of Object.values(p)) {
      expect(v.flipRate).toBeGreaterThanOrEqual(0);
      expect(v.flipRate).toBeLessThanOrEqual(1);
    }
  });

  it('flags every gap of an uncalibrated card and calibrates from val scores', async () => {
    const val = cornerData(60, 3);
    await predictor.predict(val.inputs.slice(0, 2), [null, null]);
    const before = tf.memory().numTensors;
    const preds = await predictor.predict(val.inputs.slice(0, 2), [null, null]);
    expect(tf.memory().numTensors).toBe(before);
    expect(preds[0]!.quality).toEqual(['ood-unchecked', 'uncalibrated', 'conformal-uncalibrated']);
    expect(preds[0]!.set).toHaveLength(3);
    expect(preds[0]!.method).toBe('tta');
    const scores = await scoreInputs(predictor, val.inputs, val.labels);
    const parts = calibrateFromScores(scores, { data: ['synthetic val'] });
    expect(parts.calibration.eceAfter).toBeLessThanOrEqual(parts.calibration.eceBefore + 1e-9);
    expect(parts.calibration.nllAfter).toBeLessThanOrEqual(parts.calibration.nllBefore);
    expect(parts.conformal.heldOutFoldCoverage).toHaveLength(5);
    expect(parts.ood.n).toBe(60);
    // A calibrated predictor uses the temperature: same class, probabilities softmax(z / T).
    const calibrated = new Predictor(predictor.model, { inputSize: SIZE, channels: 1, ...parts });
    const x = calibrated.batch(val.inputs.slice(0, 1));
    const s = await calibrated.scores(x);
    x.dispose();
    const z = Array.from(s.logits);
    const e = z.map((v) => Math.exp(v / parts.calibration.temperature));
    const sum = e.reduce((a, b) => a + b, 0);
    e.forEach((v, k) => expect(s.calibrated[k]).toBeCloseTo(v / sum, 5));
  });
});
