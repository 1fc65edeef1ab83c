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
