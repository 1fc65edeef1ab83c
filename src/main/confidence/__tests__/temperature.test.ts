import { describe, expect, it } from 'vitest';
import { fitTemperature, meanNll, softmaxT } from '../temperature';
import { argmax, expectedCalibrationError } from '../ece';
import { syntheticLogits } from '../../../../test/helpers/syntheticLogits';

describe('temperature scaling', () => {
  it('recovers the temperature of a model made overconfident by a known factor', () => {
    const { logits, labels } = syntheticLogits(4000, 1, 2.5);
    const fit = fitTemperature(logits, labels);
    expect(fit.temperature).toBeGreaterThan(2.2);
    expect(fit.temperature).toBeLessThan(2.8);
    expect(fit.nllAfter).toBeLessThan(fit.nllBefore);
  });

  it('finds the NLL minimum: nudging T either way makes NLL worse', () => {
    const { logits, labels } = syntheticLogits(1000, 2, 0.6);
    const { temperature: t } = fitTemperature(logits, labels);
    expect(t).toBeLessThan(1);
    const at = meanNll(logits, labels, t);
    expect(meanNll(logits, labels, t * 1.05)).toBeGreaterThan(at);
    expect(meanNll(logits, labels, t / 1.05)).toBeGreaterThan(at);
  });

  it('lowers ECE on held-out data and never changes the predicted class', () => {
    const fitSet = syntheticLogits(2000, 3, 3);
    const test = syntheticLogits(2000, 4, 3);
    const { temperature } = fitTemperature(fitSet.logits, fitSet.labels);
    const before = test.logits.map((z) => softmaxT(z));
    const after = test.logits.map((z) => softmaxT(z, temperature));
    const eceBefore = expectedCalibrationError(before, test.labels).ece;
    const eceAfter = expectedCalibrationError(after, test.labels).ece;
    expect(eceAfter).toBeLessThan(eceBefore / 2);
    expect(after.map(argmax)).toEqual(before.map(argmax));
  });

  it('rejects labels that are not class indices, naming the row', () => {
    expect(() => fitTemperature([[0, 1, 2]], [3])).toThrow(/row 0/);
  });
});

describe('expected calibration error', () => {
  it('is 0 for a perfectly calibrated bin and the gap for an overconfident one', () => {
    // Four images at confidence 0.75 with three right: calibrated.
    const p = [0.75, 0.125, 0.125];
    expect(expectedCalibrationError([p, p, p, p], [0, 0, 0, 1]).ece).toBeCloseTo(0, 12);
    // Confidence 0.9, accuracy 0.5: gap 0.4.
    const q = [0.9, 0.05, 0.05];
    const r = expectedCalibrationError([q, q], [0, 1]);
    expect(r.ece).toBeCloseTo(0.4, 12);
    expect(r.bins.filter((b) => b.count > 0)).toHaveLength(1);
  });
});
