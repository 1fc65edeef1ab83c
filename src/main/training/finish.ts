/**
 * The app's steps after a local training run: calibrate on local val (temperature, conformal, OOD),
 * set the COVID-19 threshold at the requested sensitivity, and score the new and the active model
 * on the local test split, so the clinician can compare before activating.
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { LABELS } from '../../shared/labels';
import type { ComparedModel, Comparison, TrainingPhase } from '../../shared/training';
import { readCard, writeCard, type ModelCard } from '../models/card';
import { loadLayersModel } from '../models/modelFiles';
import { buildImageCache, type ImageCache } from '../datasets/imageCache';
import type { Sample } from '../datasets/dataset';
import { calibrateOnVal } from '../confidence/localCalibration';
import { deriveOperatingPoint, FALLBACK_THRESHOLD } from '../confidence/operatingThreshold';
import { scoreCache, scoresFrom } from '../evaluation/localEvaluation';
import type { FinishSteps } from './protocol';

export class FinishError extends Error {
  override name = 'FinishError';
}

async function scoreModel(model: tf.LayersModel, card: ModelCard, caches: Map<number, ImageCache>, samples: readonly Sample[]) {
  let cache = caches.get(card.inputSize);
  if (!cache) {
    cache = await buildImageCache(samples, card.inputSize);
    caches.set(card.inputSize, cache);
  }
  return { cache, ...(await scoreCache(model, card, cache)) };
}

/** Null when cancelled between steps; else the calibrated card (written) and the comparison. */
export async function finishLocalTraining(
  modelDir: string,
  val: readonly Sample[],
  steps: FinishSteps,
  hooks: { phase(p: TrainingPhase): void; isCancelled(): boolean },
): Promise<{ card: ModelCard; comparison: Comparison } | null> {
  hooks.phase('calibrating');
  const card = readCard(modelDir);
  const model = await loadLayersModel(modelDir);
  try {
    const valCache = await buildImageCache(val, card.inputSize);
    const valScores = await scoreCache(model, card, valCache);
    const valLabels = Array.from(valCache.labels);
    const cal = calibrateOnVal(valScores, valLabels);
    const pCovidVal = Array.from({ length: valCache.count }, (_, i) => cal.calibratedVal[i * LABELS.length]!);
    const op = deriveOperatingPoint(pCovidVal, valLabels.map((l) => l === 0), steps.sensitivity);
    const calibratedCard: ModelCard = { ...card, ...cal.confidence, operatingPoint: op };
    if (hooks.isCancelled()) return null;

    hooks.phase('evaluating');
    const models: ComparedModel[] = [];
    const caches = new Map<number, ImageCache>();
    let testPerClass = { COVID19: 0, NORMAL: 0, PNEUMONIA: 0 };
    if (steps.test.length > 0) {
      const mine = await scoreModel(model, calibratedCard, caches, steps.test);
      testPerClass = Object.fromEntries(LABELS.map((l, k) => [l, mine.cache.labels.filter((y) => y === k).length])) as typeof testPerClass;
      models.push({ role: 'new', id: card.id, name: card.name, version: card.version, scores: scoresFrom(mine.calibrated, mine.cache.labels, op.threshold) });
      if (steps.baseline) {
        const baseCard = readCard(steps.baseline.dir);
        const baseModel = await loadLayersModel(steps.baseline.dir);
        try {
          const base = await scoreModel(baseModel, baseCard, caches, steps.test);
          const t = baseCard.operatingPoint?.threshold ?? FALLBACK_THRESHOLD;
          models.push({ role: 'active', id: steps.baseline.id, name: baseCard.name, version: baseCard.version, scores: scoresFrom(base.calibrated, base.cache.labels, t) });
        } finally {
          baseModel.dispose();
        }
      }
    }
    if (hooks.isCancelled()) return null;

    hooks.phase('saving');
    const c = cal.confidence;
    const comparison: Comparison = {
      testImages: steps.test.length,
      testPerClass,
      models,
      operatingPoint: op,
      calibration: {
        temperature: c.calibration.temperature,
        eceBefore: c.calibration.eceBefore,
        eceAfter: c.calibration.eceAfter,
        conformalCoverage: c.conformal.valCoverage,
        qhat: Number.isFinite(c.conformal.qhat) ? c.conformal.qhat : null,
      },
    };
    const finalCard = { ...calibratedCard, localTraining: { ...steps.cardExtras, comparison } };
    writeCard(modelDir, finalCard);
    if (!fs.existsSync(path.join(modelDir, 'model.json'))) throw new FinishError(`${modelDir} lost its model.json`);
    return { card: finalCard, comparison };
  } finally {
    model.dispose();
  }
}
