import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { ModelGraph } from '../../models/forwardPass';
import { bandOf, defaultBandMethod, percentileBand, sampleProbabilities } from '../band';
import { randomImages, tinyBranchedModel } from '../../../../test/helpers/tinyModels';

afterAll(() => tf.disposeVariables());

async function pointProbs(model: tf.LayersModel, x: tf.Tensor4D): Promise<Float32Array> {
  const p = model.predict(x) as tf.Tensor;
  const d = (await p.data()) as Float32Array;
  p.dispose();
  return d;
}

describe('model graph runner', () => {
  it('reproduces model.predict on a branched model, and its logits softmax to the output', async () => {
    const model = tinyBranchedModel({ dropout: 0.5 });
    const g = new ModelGraph(model);
    const x = randomImages(4);
    const [mine, logitsSoftmax] = tf.tidy(() => {
      const v = g.forward(x);
      return [g.output(v).clone(), tf.softmax(g.logits(v))];
    });
    const ref = await pointProbs(model, x);
    const gap = (a: Float32Array) => Math.max(...Array.from(a).map((v, i) => Math.abs(v - ref[i]!)));
    expect(gap((await mine.data()) as Float32Array)).toBeLessThan(1e-6);
    expect(gap((await logitsSoftmax.data()) as Float32Array)).toBeLessThan(1e-5);
    expect(g.hasTrueLogits).toBe(true);
    expect(g.lastConv?.shape).toEqual([null, 8, 8, 8]);
  });

  it('runs a Sequential model too, reading its logits from the final softmax Dense', async () => {
    const seq = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, activation: 'relu' }),
        tf.layers.flatten(),
        tf.layers.dropout({ rate: 0.3 }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    const g = new ModelGraph(seq);
    expect(g.hasDropout).toBe(true);
    expect(g.hasTrueLogits).toBe(true);
    const x = randomImages(2, 8);
    const out = tf.tidy(() => g.output(g.forward(x)).arraySync() as number[][]);
    const ref = (seq.predict(x) as tf.Tensor).arraySync() as number[][];
    out.flat().forEach((v, i) => expect(v).toBeCloseTo(ref.flat()[i]!, 6));
  });
});

describe('confidence band', () => {
  it('MC dropout: bands are non-degenerate and contain the calibrated point estimate', async () => {
    const model = tinyBranchedModel({ dropout: 0.5 });
    const g = new ModelGraph(model);
    expect(defaultBandMethod(g)).toBe('mc-dropout');
    const x = randomImages(3);
    const samples = await sampleProbabilities(g, x, { method: 'mc-dropout', nSamples: 40, temperature: 1.5 });
    expect(samples.shape).toEqual([40, 3, 3]);
    const point = tf.tidy(() => tf.softmax(tf.div(g.logits(g.forward(x)), 1.5)).arraySync() as number[][]);
    for (let i = 0; i < 3; i++) {
      const band = bandOf(samples, i, point[i]!);
      band.forEach((c, k) => {
        expect(c.hi - c.lo).toBeGreaterThan(1e-3);
        expect(c.lo).toBeLessThanOrEqual(point[i]![k]!);
        expect(c.hi).toBeGreaterThanOrEqual(point[i]![k]!);
      });
    }
  });

  it('TTA on a model without dropout: zero width for a flat image, nonzero for a textured one', async () => {
    const model = tinyBranchedModel();
    const g = new ModelGraph(model);
    expect(defaultBandMethod(g)).toBe('tta');
    await expect(sampleProbabilities(g, randomImages(1), { method: 'mc-dropout', nSamples: 4, temperature: 1 })).rejects.toThrow(/has none/);
    const flat = tf.fill([1, 16, 16, 1], 0.4) as tf.Tensor4D;
    const p = await pointProbs(model, flat);
    const flatBand = bandOf(await sampleProbabilities(g, flat, { method: 'tta', nSamples: 12, temperature: 1 }), 0, p);
    flatBand.forEach((c) => expect(c.hi - c.lo).toBeLessThan(1e-6));
    const tex = randomImages(1);
    const q = await pointProbs(model, tex);
    const texBand = bandOf(await sampleProbabilities(g, tex, { method: 'tta', nSamples: 12, temperature: 1 }), 0, q);
    expect(Math.max(...texBand.map((c) => c.hi - c.lo))).toBeGreaterThan(1e-4);
  });

  it('takes the central 95 % and widens it to hold the point', () => {
    const samples = Array.from({ length: 101 }, (_, i) => [i / 100, 1 - i / 100]);
    const [a, b] = percentileBand(samples, [0.5, 0.5]);
    expect(a!.lo).toBeCloseTo(0.025, 10);
    expect(a!.hi).toBeCloseTo(0.975, 10);
    expect(b!.lo).toBeCloseTo(0.025, 10);
    expect(percentileBand(samples, [0.99, 0.01])[0]!.hi).toBe(0.99);
  });
});
