import type { OperatingPoint } from '../../shared/training';

/** Used only when local val holds no COVID-19 image to set a threshold on. */
export const FALLBACK_THRESHOLD = 0.5;

/**
 * The COVID-19 flag threshold that reaches `target` sensitivity on val: the highest threshold at
 * which at least ceil(target · positives) COVID-19 images score at or above it. Derived afresh for
 * each model version, since score distributions shift between versions.
 */
export function deriveOperatingPoint(pCovid: ArrayLike<number>, isCovid: ArrayLike<boolean>, target: number): OperatingPoint {
  const pos: number[] = [];
  for (let i = 0; i < pCovid.length; i++) if (isCovid[i]) pos.push(pCovid[i]!);
  if (pos.length === 0) {
    const at = flagRates(pCovid, isCovid, FALLBACK_THRESHOLD);
    return { threshold: FALLBACK_THRESHOLD, targetSensitivity: target, valSensitivity: at.sensitivity, valSpecificity: at.specificity, valPositives: 0, fallback: true };
  }
  pos.sort((a, b) => b - a);
  const need = Math.max(1, Math.ceil(target * pos.length - 1e-9));
  const threshold = pos[need - 1]!;
  const at = flagRates(pCovid, isCovid, threshold);
  return {
    threshold,
    targetSensitivity: target,
    valSensitivity: at.sensitivity,
    valSpecificity: at.specificity,
    valPositives: pos.length,
    fallback: false,
  };
}

/** Sensitivity and specificity of flagging p ≥ threshold. */
export function flagRates(pCovid: ArrayLike<number>, isCovid: ArrayLike<boolean>, threshold: number): { sensitivity: number; specificity: number } {
  let tp = 0;
  let fn = 0;
  let tn = 0;
  let fp = 0;
  for (let i = 0; i < pCovid.length; i++) {
    const flagged = pCovid[i]! >= threshold;
    if (isCovid[i] && flagged) tp++;
    else if (isCovid[i]) fn++;
    else if (flagged) fp++;
    else tn++;
  }
  return { sensitivity: tp + fn ? tp / (tp + fn) : 0, specificity: tn + fp ? tn / (tn + fp) : 0 };
}

/** Sources with fewer COVID-19 val images than this do not set the threshold (too coarse), but are reported. */
export const MIN_SOURCE_POSITIVES = 10;

/**
 * The threshold at which every val source with at least MIN_SOURCE_POSITIVES COVID-19 images
 * reaches `target` sensitivity: the lowest of the per-source thresholds. A pooled threshold would
 * let the largest source carry the average while a smaller one (another hospital's films) falls
 * short, and the worklist would miss exactly those patients.
 */
export function deriveOperatingPointBySource(
  pCovid: ArrayLike<number>,
  isCovid: ArrayLike<boolean>,
  sources: readonly string[],
  target: number,
): OperatingPoint {
  const names = [...new Set(sources)];
  const pick = (s: string) => Array.from({ length: pCovid.length }, (_, i) => i).filter((i) => sources[i] === s);
  let threshold = Infinity;
  for (const s of names) {
    const idx = pick(s);
    const positives = idx.filter((i) => isCovid[i]).length;
    if (positives < MIN_SOURCE_POSITIVES) continue;
    threshold = Math.min(threshold, deriveOperatingPoint(idx.map((i) => pCovid[i]!), idx.map((i) => isCovid[i]!), target).threshold);
  }
  const pooled = deriveOperatingPoint(pCovid, isCovid, target);
  if (!Number.isFinite(threshold)) threshold = pooled.threshold;
  const at = flagRates(pCovid, isCovid, threshold);
  const bySource: NonNullable<OperatingPoint['bySource']> = {};
  for (const s of names) {
    const idx = pick(s);
    const positives = idx.filter((i) => isCovid[i]).length;
    const r = flagRates(idx.map((i) => pCovid[i]!), idx.map((i) => isCovid[i]!), threshold);
    bySource[s] = { sensitivity: positives ? r.sensitivity : null, specificity: idx.length - positives ? r.specificity : null, positives, negatives: idx.length - positives };
  }
  return { ...pooled, threshold, valSensitivity: at.sensitivity, valSpecificity: at.specificity, bySource };
}
