import type * as tf from '@tensorflow/tfjs';
import { LABELS, type Label } from '../../shared/labels';
import type { ClassScores, ModelScores } from '../../shared/training';
import { computeMetrics } from './evaluate';
import type { ImageCache } from '../datasets/imageCache';
import { Predictor } from '../inference/predictor';
import { grayToInput } from '../models/preprocess';
import { flagRates } from '../confidence/operatingThreshold';

const K = LABELS.length;

/**
 * Raw logits and calibrated probabilities (the card's temperature) for every cached image, in
 * batches, through the predictor (inference/predictor.ts): the same numbers the app would show.
 */
export async function scoreCache(
  model: tf.LayersModel,
  card: { inputSize: number; channels: 1 | 3 } & Record<string, unknown>,
  cache: ImageCache,
  batchSize = 32,
): Promise<{ logits: Float32Array; raw: Float32Array; calibrated: Float32Array }> {
  if (cache.size !== card.inputSize) throw new Error(`scoring images: the image cache is at ${cache.size} px, model ${card.id} wants ${card.inputSize} px`);
  const predictor = new Predictor(model, card, { nSamples: 2 });
  const px = cache.size * cache.size;
  const logits = new Float32Array(cache.count * K);
  const raw = new Float32Array(cache.count * K);
  const calibrated = new Float32Array(cache.count * K);
  try {
    for (let start = 0; start < cache.count; start += batchSize) {
      const b = Math.min(batchSize, cache.count - start);
      const inputs = Array.from({ length: b }, (_, i) =>
        grayToInput(cache.pixels.subarray((start + i) * px, (start + i + 1) * px), card.channels),
      );
      const x = predictor.batch(inputs);
      try {
        const s = await predictor.scores(x);
        logits.set(s.logits, start * K);
        raw.set(s.raw, start * K);
        calibrated.set(s.calibrated, start * K);
      } finally {
        x.dispose();
      }
      // Let the worker's port deliver a cancel between batches.
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    // The folded copy it runs on (foldBatchNorm.ts).
    predictor.dispose();
  }
  return { logits, raw, calibrated };
}

/** Accuracy, per-class precision/recall/AUC, ECE, confusion and the COVID-19 flag at `threshold`. */
export function scoresFrom(probs: Float32Array, labels: Uint8Array, threshold: number): ModelScores {
  const m = computeMetrics(probs, labels);
  const pCovid = new Float32Array(labels.length);
  const isCovid = new Array<boolean>(labels.length);
  for (let i = 0; i < labels.length; i++) {
    pCovid[i] = probs[i * K]!;
    isCovid[i] = labels[i] === 0;
  }
  const perClass = Object.fromEntries(
    LABELS.map((l) => [l, { precision: m.perClass[l].precision, recall: m.perClass[l].recall, auc: m.perClass[l].auc, support: m.perClass[l].support }]),
  ) as Record<Label, ClassScores>;
  return {
    accuracy: m.accuracy,
    perClass,
    macroAuc: m.macro.auc,
    ece: m.ece,
    confusion: m.confusion,
    covidFlag: { threshold, ...flagRates(pCovid, isCovid, threshold) },
  };
}
