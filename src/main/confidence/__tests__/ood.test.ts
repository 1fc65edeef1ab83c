import { describe, expect, it } from 'vitest';
import { calibrateOod, energyScore, isOod, maxSoftmaxScore } from '../ood';
import { qualityFlags } from '../quality';
import { syntheticLogits } from '../../../../test/helpers/syntheticLogits';

describe('OOD score', () => {
  it('gives unfamiliar (flat, small) logits a higher energy than confident ones', () => {
    expect(energyScore([8, 0, -1])).toBeLessThan(energyScore([0.1, 0, -0.1]));
    expect(maxSoftmaxScore([0.9, 0.05, 0.05])).toBeCloseTo(0.1, 12);
  });

  it('sets the threshold at the val percentile, so about 1 % of in-distribution images are flagged', () => {
    const val = syntheticLogits(2000, 21, 3).logits.map(energyScore);
    const cal = calibrateOod(val, 'energy', 0.99);
    expect(val.filter((s) => isOod(s, cal)).length).toBe(20);
    const fresh = syntheticLogits(4000, 22, 3).logits.map(energyScore);
    const rate = fresh.filter((s) => isOod(s, cal)).length / fresh.length;
    expect(rate).toBeGreaterThan(0.003);
    expect(rate).toBeLessThan(0.02);
    // Every logit lowered (no class finds evidence): softmax cannot see it, energy does.
    const lowered = syntheticLogits(200, 23, 3).logits.map((z) => z.map((v) => v - 12)).map(energyScore);
    expect(lowered.filter((s) => isOod(s, cal)).length / lowered.length).toBeGreaterThan(0.9);
  });
});

describe('quality flags', () => {
  const cal = { score: 'energy' as const, threshold: -2, percentile: 0.99, n: 100 };
  it('passes a clean, in-distribution image on a calibrated model with no flags', () => {
    expect(qualityFlags({ status: 'eligible', exclusionReason: null, warnings: [] }, { score: -5, cal }, { calibrated: true, conformal: true })).toEqual([]);
  });
  it('carries DICOM reasons and adds ood above the threshold', () => {
    expect(
      qualityFlags({ status: 'excluded', exclusionReason: 'lateral-view', warnings: ['burned-in-annotation'] }, { score: -1, cal }, { calibrated: true, conformal: true }),
    ).toEqual(['lateral-view', 'burned-in-annotation', 'ood']);
  });
  it('never passes silently when the model lacks calibration', () => {
    expect(qualityFlags(null, { score: -5, cal: null }, { calibrated: false, conformal: false })).toEqual(['ood-unchecked', 'uncalibrated', 'conformal-uncalibrated']);
    expect(qualityFlags(null, { score: NaN, cal }, { calibrated: true, conformal: true })).toEqual(['ood']);
  });
});
