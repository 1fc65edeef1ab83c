/**
 * What `cxr eval` reports about confidence on a labelled set: ECE of the raw and of the calibrated
 * probabilities (15 bins), the paper's Table 4 (mean true-class probability with its 95 % CI) on
 * calibrated probabilities, the conformal sets' coverage per class, the share of images the OOD
 * gate flags, and optionally the shortcut probe.
 */
import { LABELS, type Label } from '../../shared/labels';
import type * as tf from '@tensorflow/tfjs';
import { Predictor } from '../inference/predictor';
import { scoreInputs } from './calibrate';
import { expectedCalibrationError } from './ece';
import { computeMetrics, type EvalMetrics } from '../evaluation/evaluate';
import { empiricalCoverage } from './conformal';
import { isOod, oodScore } from './ood';
import { softmaxT } from './temperature';
import { grayToInput } from '../models/preprocess';
import { runProbe } from '../evaluation/probe';
import type { ProbeReport } from '../models/card';
import type { ImageCache } from '../datasets/imageCache';

export interface ConfidenceEval {
  temperature: number | null;
  eceBefore: number;
  eceAfter: number;
  /** Table 4 on calibrated probabilities. */
  meanTrueProbCalibrated: EvalMetrics['meanTrueProb'];
  conformal: { coverage: number; nominal: number; meanSetSize: number; emptySets: number; byClass: Partial<Record<Label, number>> } | null;
  oodFlaggedRate: number | null;
  probe?: ProbeReport;
}

export async function evalConfidence(
  model: tf.LayersModel,
  card: { inputSize: number; channels: 1 | 3 } & Record<string, unknown>,
  cache: ImageCache,
  opts: { probe?: boolean; data?: string; onProgress?: (m: string) => void } = {},
): Promise<ConfidenceEval> {
  const predictor = new Predictor(model, card, { nSamples: 2 });
  try {
    return await evalWith(predictor, card, cache, opts);
  } finally {
    predictor.dispose();
  }
}

async function evalWith(
  predictor: Predictor,
  card: { channels: 1 | 3 },
  cache: ImageCache,
  opts: { probe?: boolean; data?: string; onProgress?: (m: string) => void },
): Promise<ConfidenceEval> {
  const px = cache.size * cache.size;
  const inputs = Array.from({ length: cache.count }, (_, i) => grayToInput(cache.pixels.subarray(i * px, (i + 1) * px), card.channels));
  const labels = Array.from(cache.labels);
  const s = await scoreInputs(predictor, inputs, labels);
  const t = predictor.temperature;
  const calibrated = s.logits.map((z) => softmaxT(z, t));
  const flat = new Float32Array(calibrated.length * LABELS.length);
  calibrated.forEach((p, i) => flat.set(p, i * LABELS.length));
  const c = predictor.confidence;
  let conformal: ConfidenceEval['conformal'] = null;
  if (c.conformal) {
    const all = empiricalCoverage(calibrated, labels, c.conformal);
    const byClass: Partial<Record<Label, number>> = {};
    LABELS.forEach((l, k) => {
      const idx = labels.flatMap((y, i) => (y === k ? [i] : []));
      if (idx.length) byClass[l] = empiricalCoverage(idx.map((i) => calibrated[i]!), idx.map((i) => labels[i]!), c.conformal!).coverage;
    });
    conformal = { coverage: all.coverage, nominal: c.conformal.coverage, meanSetSize: all.meanSetSize, emptySets: all.emptySets, byClass };
  }
  const ood = c.ood;
  const out: ConfidenceEval = {
    temperature: c.calibration ? t : null,
    eceBefore: expectedCalibrationError(s.raw, labels).ece,
    eceAfter: expectedCalibrationError(calibrated, labels).ece,
    meanTrueProbCalibrated: computeMetrics(flat, labels).meanTrueProb,
    conformal,
    oodFlaggedRate: ood ? s.logits.filter((z, i) => isOod(oodScore(ood.score, z, s.raw[i]!), ood)).length / labels.length : null,
  };
  if (opts.probe) {
    out.probe = await runProbe(predictor, inputs, {
      labels,
      data: opts.data ?? 'eval data',
      onProgress: (d, n) => {
        if (d === n || d % 256 === 0) opts.onProgress?.(`probe ${d}/${n}`);
      },
    });
  }
  return out;
}
