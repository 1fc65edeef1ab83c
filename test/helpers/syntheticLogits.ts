import { softmaxT } from '../../src/main/confidence/temperature';
import { seededRandom } from '../../src/main/training/seededRandom';

/** Seeded, so every synthetic set is the same on every run. */
export const rng = seededRandom;

export function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/**
 * Logits whose labels are drawn from softmax(z): calibrated at T = 1. Scaling the returned logits
 * by `overconfidence` makes a model that is overconfident by exactly that temperature.
 */
export function syntheticLogits(n: number, seed: number, overconfidence = 1, k = 3): { logits: number[][]; labels: number[] } {
  const r = rng(seed);
  const logits: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: k }, () => 1.5 * gaussian(r));
    const p = softmaxT(z);
    let u = r();
    let y = 0;
    while (y < k - 1 && u > p[y]!) u -= p[y++]!;
    logits.push(z.map((v) => v * overconfidence));
    labels.push(y);
  }
  return { logits, labels };
}
