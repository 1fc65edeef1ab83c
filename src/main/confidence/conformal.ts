/**
 * Split-conformal prediction sets (Vovk et al.; Angelopoulos & Bates 2021). A nonconformity score
 * is computed for the true class of every val image; its finite-sample-corrected quantile `qhat`
 * makes {y : score(x, y) <= qhat} contain the true class with probability >= coverage on
 * exchangeable data.
 *
 * LAC (score 1 - p_y) is the default: it gives the smallest sets on average, and it is not
 * randomised, so the same image always gets the same set. Its sets may be empty when no class is
 * probable enough; that is reported as it is (an empty set means "nothing is plausible at this
 * coverage", itself a reason for a human to look), since padding it would over-cover.
 * APS (cumulative sorted mass) adapts set size to difficulty; non-randomised, it over-covers a little.
 *
 * Class-conditional (Mondrian) calibration fits one qhat per class on that class's val images, so
 * each class reaches its coverage, not just the average: with one qhat, the rare and hard class
 * (COVID-19 here) can be under-covered while the common ones make up the mean.
 */
import type { ConformalCalibration } from '../models/card';

export type { ConformalCalibration };
export type ConformalScore = ConformalCalibration['score'];

export class ConformalError extends Error {
  override name = 'ConformalError';
  constructor(reason: string) {
    super(`conformal calibration: ${reason}`);
  }
}

/** The nonconformity of class y for one image's (calibrated) probabilities. */
function conformalScore(probs: ArrayLike<number>, y: number, score: ConformalScore): number {
  const py = probs[y]!;
  if (score === 'lac') return 1 - py;
  // APS: mass of every class at least as probable as y (ties count in, so the score is deterministic).
  let mass = 0;
  for (let j = 0; j < probs.length; j++) if (probs[j]! >= py) mass += probs[j]!;
  return mass;
}

/** The ceil((n+1)·coverage)-th smallest score: the finite-sample correction of split conformal. */
function quantile(scores: number[], coverage: number): number {
  scores.sort((a, b) => a - b);
  const rank = Math.ceil((scores.length + 1) * coverage);
  return rank > scores.length ? Infinity : scores[rank - 1]!;
}

/** Fits qhat (and, with `classConditional`, one per class) on val probabilities and labels. */
export function calibrateConformal(
  probs: readonly ArrayLike<number>[],
  labels: readonly number[],
  opts: { coverage?: number; score?: ConformalScore; classConditional?: boolean } = {},
): ConformalCalibration {
  const coverage = opts.coverage ?? 0.9;
  const score = opts.score ?? 'lac';
  if (!(coverage > 0 && coverage < 1)) throw new ConformalError(`coverage ${coverage} is not in (0, 1)`);
  if (probs.length === 0) throw new ConformalError('no validation images to calibrate on');
  if (probs.length !== labels.length) throw new ConformalError(`${probs.length} probability rows but ${labels.length} labels`);
  const scores = probs.map((p, i) => conformalScore(p, labels[i]!, score));
  const cal: ConformalCalibration = { score, coverage, qhat: quantile([...scores], coverage), n: scores.length };
  if (opts.classConditional) {
    const k = probs[0]!.length;
    const byClass = Array.from({ length: k }, (_, c) => scores.filter((_, i) => labels[i] === c));
    cal.classQhat = byClass.map((s) => quantile(s, coverage));
    cal.classN = byClass.map((s) => s.length);
  }
  return cal;
}

/** Class indices in the prediction set, most probable first. */
export function predictionSet(probs: ArrayLike<number>, cal: ConformalCalibration): number[] {
  const set: number[] = [];
  // A tiny tolerance so a val image's own score (float rounding aside) is inside its set.
  for (let y = 0; y < probs.length; y++) if (conformalScore(probs, y, cal.score) <= (cal.classQhat?.[y] ?? cal.qhat) + 1e-12) set.push(y);
  return set.sort((a, b) => probs[b]! - probs[a]!);
}

/** Coverage among the images of each class: what class-conditional calibration is for. */
export function classCoverage(probs: readonly ArrayLike<number>[], labels: readonly number[], cal: ConformalCalibration): (number | null)[] {
  const k = probs[0]?.length ?? 0;
  return Array.from({ length: k }, (_, c) => {
    const idx = labels.flatMap((l, i) => (l === c ? [i] : []));
    return idx.length ? idx.filter((i) => predictionSet(probs[i]!, cal).includes(c)).length / idx.length : null;
  });
}

/** Fraction of images whose set holds the true class, and the mean set size. */
export function empiricalCoverage(
  probs: readonly ArrayLike<number>[],
  labels: readonly number[],
  cal: ConformalCalibration,
): { coverage: number; meanSetSize: number; emptySets: number } {
  let hit = 0;
  let size = 0;
  let empty = 0;
  probs.forEach((p, i) => {
    const s = predictionSet(p, cal);
    if (s.includes(labels[i]!)) hit++;
    size += s.length;
    if (s.length === 0) empty++;
  });
  return { coverage: hit / probs.length, meanSetSize: size / probs.length, emptySets: empty };
}
