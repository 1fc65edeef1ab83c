import { describe, expect, it } from 'vitest';
import { computeMetrics } from '../evaluate';

const rows = (...r: number[][]): Float32Array => new Float32Array(r.flat());

describe('computeMetrics', () => {
  it('computes accuracy, per-class precision/recall/specificity, confusion and Keras micro metrics', () => {
    // true: C, C, N, N, P, P; predicted: C, N, N, N, P, C
    const probs = rows([0.8, 0.1, 0.1], [0.3, 0.6, 0.1], [0.1, 0.7, 0.2], [0.2, 0.45, 0.35], [0.1, 0.2, 0.7], [0.5, 0.1, 0.4]);
    const m = computeMetrics(probs, [0, 0, 1, 1, 2, 2]);
    expect(m.n).toBe(6);
    expect(m.accuracy).toBeCloseTo(4 / 6);
    expect(m.confusion).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 1],
    ]);
    expect(m.perClass.COVID19.precision).toBeCloseTo(0.5);
    expect(m.perClass.COVID19.recall).toBeCloseTo(0.5);
    expect(m.perClass.NORMAL.precision).toBeCloseTo(2 / 3);
    expect(m.perClass.NORMAL.specificity).toBeCloseTo(3 / 4);
    expect(m.perClass.PNEUMONIA.recall).toBeCloseTo(0.5);
    expect(m.macro.recall).toBeCloseTo((0.5 + 1 + 0.5) / 3);
    // Keras at 0.5: positives > 0.5 are 0.8(C✓) 0.6(N✗) 0.7(N✓) 0.7(P✓) → precision 3/4, recall 3/6.
    expect(m.kerasMicro.precision).toBeCloseTo(3 / 4);
    expect(m.kerasMicro.recall).toBeCloseTo(3 / 6);
    expect(m.meanTrueProb.COVID19.mean).toBeCloseTo((0.8 + 0.3) / 2);
    expect(m.meanTrueProb.COVID19.lo).toBeLessThan(m.meanTrueProb.COVID19.mean);
  });

  it('gives AUC 1 for perfectly ranked scores and 0.5 for ties', () => {
    const perfect = computeMetrics(rows([0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.2, 0.1, 0.7]), [0, 1, 2]);
    expect(perfect.perClass.COVID19.auc).toBe(1);
    expect(perfect.macro.auc).toBe(1);
    const tied = computeMetrics(rows([0.4, 0.3, 0.3], [0.4, 0.3, 0.3]), [0, 1]);
    expect(tied.perClass.COVID19.auc).toBe(0.5);
    expect(tied.perClass.PNEUMONIA.auc).toBeNull();
  });

  it('ECE is |accuracy − confidence| weighted over 15 bins', () => {
    // Two images at confidence 0.9 (bin 13), one right one wrong: ECE = |0.5 − 0.9| = 0.4.
    const m = computeMetrics(rows([0.9, 0.05, 0.05], [0.9, 0.05, 0.05]), [0, 1]);
    expect(m.ece).toBeCloseTo(0.4);
    const calibrated = computeMetrics(rows([1, 0, 0], [0, 1, 0]), [0, 1]);
    expect(calibrated.ece).toBeCloseTo(0);
  });
});
