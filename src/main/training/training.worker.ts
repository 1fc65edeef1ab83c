/**
 * Worker entry for a training run from the catalog: train (the model issue's trainModel), then
 * calibrate on local val, derive the COVID-19 threshold, and score the new and the active model on
 * the local test split. Everything tensor-heavy happens here, so the main process only relays
 * progress and registers the finished folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type * as tf from '@tensorflow/tfjs';
import { initBackend } from '../tfjs/backend';
import { readCard, writeCard } from '../models/card';
import { buildImageCache, type ImageCache } from '../datasets/imageCache';
import { loadLayersModel } from '../models/modelFiles';
import { trainModel } from './trainModel';
import { gpuName } from '../tfjs/webgpuAdapter';
import { LABELS } from '../../shared/labels';
import type { ComparedModel, Comparison } from '../../shared/training';
import { calibrateOnVal } from '../confidence/localCalibration';
import { scoreCache, scoresFrom } from '../evaluation/localEvaluation';
import { deriveOperatingPoint, FALLBACK_THRESHOLD } from '../confidence/operatingThreshold';
import type { TrainingWorkerInput, TrainingWorkerMessage } from './protocol';

if (!parentPort) throw new Error('training/trainingWorker.ts: must run as a worker thread');
const port = parentPort;
const post = (m: TrainingWorkerMessage): void => port.postMessage(m);
let cancelled = false;
port.on('message', (m: unknown) => {
  if (m === 'cancel') cancelled = true;
});

const input = workerData as TrainingWorkerInput;

async function scoreModel(model: tf.LayersModel, card: ReturnType<typeof readCard>, caches: Map<number, ImageCache>, samples: TrainingWorkerInput['test']) {
  let cache = caches.get(card.inputSize);
  if (!cache) {
    cache = await buildImageCache(samples, card.inputSize);
    caches.set(card.inputSize, cache);
  }
  return { cache, ...(await scoreCache(model, card, cache)) };
}

async function run(): Promise<void> {
  const backend = await initBackend();
  post({ type: 'backend', name: backend.name, gpu: backend.gpu ? gpuName(backend.gpu) : null });
  const modelDir = path.join(input.stagingDir, 'model');
  const result = await trainModel(
    { train: input.train, val: input.val },
    {
      recipe: input.recipe,
      outDir: modelDir,
      checkpointDir: path.join(input.stagingDir, 'checkpoint'),
      // Fine-tuning: the parent's weights start the run (same architecture, checked by main).
      initFrom: input.initFrom ?? undefined,
      name: input.name,
      version: input.version,
      parent: input.baseline?.id ?? null,
      risks: input.risks,
      // Both cores where that pays (a compact model on wasm): retraining on a laptop without a GPU.
      workers: 'auto',
    },
    { onEvent: (event) => post({ type: 'event', event }), isCancelled: () => cancelled },
  );
  if (result.status === 'cancelled' || cancelled) {
    post({ type: 'result', status: 'cancelled' });
    return;
  }

  post({ type: 'phase', phase: 'calibrating' });
  const card = readCard(modelDir);
  const model = await loadLayersModel(modelDir);
  const valCache = await buildImageCache(input.val, card.inputSize);
  const valScores = await scoreCache(model, card, valCache);
  const valLabels = Array.from(valCache.labels);
  const cal = calibrateOnVal(valScores, valLabels);
  const pCovidVal = Array.from({ length: valCache.count }, (_, i) => cal.calibratedVal[i * LABELS.length]!);
  const op = deriveOperatingPoint(pCovidVal, valLabels.map((l) => l === 0), input.sensitivity);
  const calibratedCard = { ...card, ...cal.confidence, operatingThreshold: op.threshold, operatingPoint: op };
  if (cancelled) return post({ type: 'result', status: 'cancelled' });

  post({ type: 'phase', phase: 'evaluating' });
  const models: ComparedModel[] = [];
  const caches = new Map<number, ImageCache>();
  let testPerClass = { COVID19: 0, NORMAL: 0, PNEUMONIA: 0 };
  if (input.test.length > 0) {
    const mine = await scoreModel(model, calibratedCard, caches, input.test);
    testPerClass = Object.fromEntries(LABELS.map((l, k) => [l, mine.cache.labels.filter((y) => y === k).length])) as typeof testPerClass;
    models.push({ role: 'new', id: card.id, name: card.name, version: card.version, scores: scoresFrom(mine.calibrated, mine.cache.labels, op.threshold) });
    if (input.baseline) {
      const baseCard = readCard(input.baseline.dir);
      const baseModel = await loadLayersModel(input.baseline.dir);
      const base = await scoreModel(baseModel, baseCard, caches, input.test);
      const t = typeof baseCard.operatingThreshold === 'number' ? baseCard.operatingThreshold : FALLBACK_THRESHOLD;
      models.push({ role: 'active', id: input.baseline.id, name: baseCard.name, version: baseCard.version, scores: scoresFrom(base.calibrated, base.cache.labels, t) });
      baseModel.dispose();
    }
  }
  model.dispose();
  if (cancelled) return post({ type: 'result', status: 'cancelled' });

  post({ type: 'phase', phase: 'saving' });
  const c = cal.confidence;
  const comparison: Comparison = {
    testImages: input.test.length,
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
  writeCard(modelDir, { ...calibratedCard, localTraining: { ...input.cardExtras, comparison } });
  if (!fs.existsSync(path.join(modelDir, 'model.json'))) throw new Error(`training/trainingWorker.ts: ${modelDir} lost its model.json`);
  post({ type: 'result', status: 'completed', modelDir, modelId: card.id, comparison });
}

run().catch((err: unknown) => {
  post({ type: 'error', message: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined });
}).finally(() => port.close());
