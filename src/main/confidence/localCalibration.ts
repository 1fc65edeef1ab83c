/**
 * Fits a new model's confidence on the local val split with calibrate.ts:
 * temperature scaling (NLL), split-conformal sets at 90 % and the energy OOD threshold, as the
 * card's ConfidenceCard fields that the predictor reads.
 */
import { LABELS } from '../../shared/labels';
import { calibrateFromScores } from './calibrate';
import type { ConfidenceCard } from '../models/card';
import { softmaxT } from './temperature';

const K = LABELS.length;

function rows(flat: Float32Array): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < flat.length; i += K) out.push(Array.from(flat.subarray(i, i + K)));
  return out;
}

export interface LocalCalibration {
  confidence: Required<Pick<ConfidenceCard, 'calibration' | 'conformal' | 'ood'>>;
  /** Calibrated val probabilities, row-major n×K. */
  calibratedVal: Float32Array;
}

export function calibrateOnVal(val: { logits: Float32Array; raw: Float32Array }, labels: readonly number[], coverage = 0.9): LocalCalibration {
  const logits = rows(val.logits);
  const confidence = calibrateFromScores(
    { logits, raw: rows(val.raw), labels: [...labels] },
    { data: ['local val split (catalog, split by patient)'], coverage },
  );
  const calibratedVal = new Float32Array(logits.length * K);
  logits.forEach((z, i) => calibratedVal.set(softmaxT(z, confidence.calibration.temperature), i * K));
  return { confidence, calibratedVal };
}
