import { describe, expect, it } from 'vitest';
import { softmaxT } from '../temperature';
import { calibrateConformal, classCoverage, empiricalCoverage, predictionSet, type ConformalScore } from '../conformal';
import { rng, syntheticLogits } from '../../../../test/helpers/syntheticLogits';

/** Splits indices into k folds after a seeded shuffle. */
function folds(n: number, k: number, seed: number): number[][] {
  const r = rng(seed);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return Array.from({ length: k }, (_, f) => idx.filter((_, i) => i % k === f));
}

describe('split-conformal prediction sets', () => {
  const { logits, labels } = syntheticLogits(3000, 7, 1.8);
  const probs = logits.map((z) => softmaxT(z));

  for (const score of ['lac', 'aps'] as ConformalScore[]) {
    it(`${score}: reaches 90 % coverage within ±3 points on every held-out fold`, () => {
      const parts = folds(probs.length, 5, 11);
      for (let f = 0; f < parts.length; f++) {
        const held = parts[f]!;
        const cal = parts.filter((_, g) => g !== f).flat();
        const c = calibrateConformal(cal.map((i) => probs[i]!), cal.map((i) => labels[i]!), { coverage: 0.9, score });
        const r = empiricalCoverage(held.map((i) => probs[i]!), held.map((i) => labels[i]!), c);
        expect(Math.abs(r.coverage - 0.9)).toBeLessThanOrEqual(0.03);
      }
    });
  }

  it('gives larger sets at higher nominal coverage', () => {
    const c80 = calibrateConformal(probs, labels, { coverage: 0.8 });
    const c95 = calibrateConformal(probs, labels, { coverage: 0.95 });
    expect(empiricalCoverage(probs, labels, c95).meanSetSize).toBeGreaterThan(empiricalCoverage(probs, labels, c80).meanSetSize);
  });

  it('returns every class when val is too small for the coverage asked', () => {
    const c = calibrateConformal([[0.9, 0.05, 0.05]], [0], { coverage: 0.9 });
    expect(c.qhat).toBe(Infinity);
    expect(predictionSet([0.2, 0.7, 0.1], c)).toEqual([1, 0, 2]);
  });

  it('class-conditional (Mondrian) sets cover a hard, rare class where one threshold does not', () => {
    // Class 0 is rare and hard: its images' probabilities put little mass on it.
    const r = rng(5);
    const pr: number[][] = [];
    const lab: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const y = r() < 0.1 ? 0 : 1 + Math.floor(r() * 2);
      const pTrue = y === 0 ? 0.15 + 0.5 * r() : 0.55 + 0.45 * r();
      const rest = (1 - pTrue) / 2;
      pr.push([0, 1, 2].map((c) => (c === y ? pTrue : rest)));
      lab.push(y);
    }
    const cal = Array.from({ length: 2000 }, (_, i) => i);
    const held = Array.from({ length: 2000 }, (_, i) => i + 2000);
    const fit = (classConditional: boolean) => calibrateConformal(cal.map((i) => pr[i]!), cal.map((i) => lab[i]!), { coverage: 0.9, classConditional });
    const per = (c: ReturnType<typeof fit>) => classCoverage(held.map((i) => pr[i]!), held.map((i) => lab[i]!), c);
    const marginal = per(fit(false));
    const mondrian = per(fit(true));
    expect(marginal[0]!).toBeLessThan(0.8);
    for (const c of mondrian) expect(Math.abs(c! - 0.9)).toBeLessThanOrEqual(0.04);
    expect(fit(true).classN).toEqual([0, 1, 2].map((c) => cal.filter((i) => lab[i] === c).length));
  });
});
