/**
 * Fits a model's confidence parts on val: the temperature (NLL), the conformal threshold at the
 * chosen coverage, and the OOD threshold; measures ECE before and after and the conformal coverage
 * on held-out folds of val. Writes them into the model folder's card.json.
 */
import { LABELS } from '../../shared/labels';
import { fitTemperature, softmaxT } from './temperature';
import { expectedCalibrationError } from './ece';
import { calibrateConformal, classCoverage, empiricalCoverage, type ConformalScore } from './conformal';
import { calibrateOod, oodScore } from './ood';
import { readCard, writeCard, type ModelCard } from '../models/card';
import type { ConfidenceCard, ConformalCard, OodCalibration, TemperatureCalibration } from '../models/card';
import type { Predictor } from '../inference/predictor';

export interface ValScores {
  logits: number[][];
  /** Uncalibrated softmax outputs. */
  raw: number[][];
  labels: number[];
}

/** Logits and raw probabilities of the predictor's model over preprocessed inputs, in batches. */
export async function scoreInputs(
  predictor: Predictor,
  inputs: readonly Float32Array[],
  labels: readonly number[],
  onProgress?: (done: number, total: number) => void,
  batchSize = 64,
): Promise<ValScores> {
  const k = LABELS.length;
  const out: ValScores = { logits: [], raw: [], labels: [...labels] };
  for (let start = 0; start < inputs.length; start += batchSize) {
    const x = predictor.batch(inputs.slice(start, start + batchSize));
    const { logits, raw } = await predictor.scores(x);
    x.dispose();
    for (let i = 0; i * k < logits.length; i++) {
      out.logits.push(Array.from(logits.subarray(i * k, (i + 1) * k)));
      out.raw.push(Array.from(raw.subarray(i * k, (i + 1) * k)));
    }
    onProgress?.(Math.min(inputs.length, start + batchSize), inputs.length);
    await new Promise((r) => setImmediate(r));
  }
  return out;
}

/** Deterministic fold assignment: image i goes to fold (i·7919 mod n) mod k, which interleaves classes and sources. */
function foldsOf(n: number, k: number): number[][] {
  const folds: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < n; i++) folds[((i * 7919) % n) % k]!.push(i);
  return folds;
}

export interface CalibrateOptions {
  data: string[];
  coverage?: number;
  score?: ConformalScore;
  oodPercentile?: number;
  oodKind?: 'energy' | 'max-softmax';
  /** One conformal threshold per class (Mondrian; default) rather than one for all. */
  classConditional?: boolean;
}

export function calibrateFromScores(val: ValScores, opts: CalibrateOptions): Required<Pick<ConfidenceCard, 'calibration' | 'conformal' | 'ood'>> {
  const fit = fitTemperature(val.logits, val.labels);
  const before = val.logits.map((z) => softmaxT(z));
  const after = val.logits.map((z) => softmaxT(z, fit.temperature));
  const calibration: TemperatureCalibration = {
    temperature: fit.temperature,
    eceBefore: expectedCalibrationError(before, val.labels).ece,
    eceAfter: expectedCalibrationError(after, val.labels).ece,
    nllBefore: fit.nllBefore,
    nllAfter: fit.nllAfter,
    n: fit.n,
    data: opts.data,
    fittedAt: new Date().toISOString(),
  };
  const cov = { coverage: opts.coverage ?? 0.9, score: opts.score ?? 'lac', classConditional: opts.classConditional ?? true };
  const conf = calibrateConformal(after, val.labels, cov);
  const inSample = empiricalCoverage(after, val.labels, conf);
  // Out-of-sample check: calibrate on four folds, measure on the fifth.
  const heldOutFoldCoverage = foldsOf(after.length, 5).map((held) => {
    const heldSet = new Set(held);
    const rest = after.flatMap((_, i) => (heldSet.has(i) ? [] : [i]));
    const c = calibrateConformal(rest.map((i) => after[i]!), rest.map((i) => val.labels[i]!), cov);
    return empiricalCoverage(held.map((i) => after[i]!), held.map((i) => val.labels[i]!), c).coverage;
  });
  const conformal: ConformalCard = {
    ...conf,
    valCoverage: inSample.coverage,
    meanSetSize: inSample.meanSetSize,
    heldOutFoldCoverage,
    valClassCoverage: classCoverage(after, val.labels, conf),
  };
  const kind = opts.oodKind ?? 'energy';
  const ood: OodCalibration = calibrateOod(
    val.logits.map((z, i) => oodScore(kind, z, val.raw[i]!)),
    kind,
    opts.oodPercentile ?? 0.99,
  );
  return { calibration, conformal, ood };
}

/** Merges confidence parts into a model folder's card.json (other fields untouched). */
export function writeConfidenceToCard(dir: string, parts: ConfidenceCard & Pick<Partial<ModelCard>, 'operatingPoint'>): void {
  // JSON has no Infinity: a qhat of Infinity is written as null, which the card schema reads back as Infinity.
  writeCard(dir, { ...readCard(dir), ...parts });
}
