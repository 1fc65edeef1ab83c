/**
 * Out-of-distribution score with a threshold set on val.
 *
 * Energy (Liu et al. 2020): E(x) = -log Σ exp(z_k), from the raw logits at T = 1. Lower on images
 * like the training data, higher on unfamiliar ones; unlike the top softmax probability it keeps
 * the logits' scale, which softmax throws away. Where a model hides its logits (only
 * log-probabilities are available, whose log-sum-exp is always 0), the fallback is 1 - max softmax.
 * The threshold is a high percentile of val scores (99th by default): about 1 % of in-distribution
 * images are flagged by design, the price of catching images far from the training data.
 */
import { logSumExp } from './temperature';
import type { OodCalibration } from '../models/card';

export type { OodCalibration };
export type OodScoreKind = OodCalibration['score'];

export function energyScore(logits: ArrayLike<number>): number {
  return -logSumExp(logits, 1);
}

export function maxSoftmaxScore(probs: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < probs.length; i++) max = Math.max(max, probs[i]!);
  return 1 - max;
}

/** The score of the given kind: energy from logits, max-softmax from (uncalibrated) probabilities. */
export function oodScore(kind: OodScoreKind, logits: ArrayLike<number>, probs: ArrayLike<number>): number {
  return kind === 'energy' ? energyScore(logits) : maxSoftmaxScore(probs);
}

export function calibrateOod(valScores: readonly number[], kind: OodScoreKind, percentile = 0.99): OodCalibration {
  if (valScores.length === 0) throw new Error('OOD threshold: no validation scores to set it on');
  if (!(percentile > 0 && percentile < 1)) throw new Error(`OOD threshold: percentile ${percentile} is not in (0, 1)`);
  const sorted = [...valScores].sort((a, b) => a - b);
  // The smallest score with at least `percentile` of val at or below it.
  const threshold = sorted[Math.min(sorted.length - 1, Math.ceil(percentile * sorted.length) - 1)]!;
  return { score: kind, threshold, percentile, n: sorted.length };
}

export function isOod(score: number, cal: OodCalibration): boolean {
  return score > cal.threshold;
}
