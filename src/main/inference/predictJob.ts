/**
 * Catalog prediction as a job: one at a time per app, with `predict.progress` events and cancel.
 * It runs in the long-lived inference worker (predictHost.ts), never on main's event loop;
 * `inline` (tests, scripts) runs it in the calling thread instead.
 */
import { CxrError } from '../../shared/errors';
import type { PredictSummary } from '../../shared/predict';
import type { Services } from '../services/services';
import { predictHost } from './inferenceHost';
import { predictionModel, predictorFor } from '../models/activeModel';
import { predictCatalogImages, type RunItem } from './predictRun';
import { unpredictedEligible, writePrediction } from '../catalog/predictions';

interface RunningPredict {
  cancel(): void;
}
const running = new WeakMap<Services, RunningPredict>();

export async function runPredictJob(
  s: Services,
  req: { imageIds?: number[]; force?: boolean },
  opts: { inline?: boolean; nSamples?: number } = {},
): Promise<PredictSummary> {
  if (running.has(s)) throw new CxrError('BUSY', 'a prediction run is in progress; cancel it or wait');
  const t0 = performance.now();
  const model = predictionModel(s);
  const modelId = model.id;
  let ids = req.imageIds ? [...new Set(req.imageIds)] : unpredictedEligible(s.catalog, modelId);
  if (req.imageIds && !req.force) {
    const have = new Set(
      (s.catalog.prepare('SELECT image_id FROM predictions WHERE model_id = ?').all(modelId) as { image_id: number }[]).map((r) => r.image_id),
    );
    ids = ids.filter((id) => !have.has(id));
  }
  const total = ids.length;
  const summary: PredictSummary = { modelId, total, predicted: 0, skipped: [], cancelled: false, durationMs: 0 };
  let done = 0;
  const write = s.catalog.transaction((items: RunItem[]) => {
    for (const it of items) {
      if ('prediction' in it) {
        writePrediction(s.catalog, modelId, it.imageId, it.prediction);
        summary.predicted++;
      } else summary.skipped.push({ imageId: it.imageId, reason: it.error });
    }
  });
  const onBatch = (items: RunItem[]) => {
    write(items);
    done += items.length;
    s.events.emit('predict.progress', { modelId, done, total });
  };
  s.events.emit('predict.progress', { modelId, done: 0, total });
  if (total === 0) return { ...summary, durationMs: performance.now() - t0 };

  if (opts.inline) {
    let cancelled = false;
    running.set(s, { cancel: () => (cancelled = true) });
    try {
      const predictor = await predictorFor(s, model);
      const r = await predictCatalogImages(s, predictor, ids, { onBatch, cancelled: () => cancelled });
      summary.cancelled = r.cancelled;
    } finally {
      running.delete(s);
    }
  } else {
    const job = predictHost(s).predict(model.dir, ids, onBatch);
    running.set(s, { cancel: job.cancel });
    try {
      summary.cancelled = await job.result;
    } finally {
      running.delete(s);
    }
  }
  return { ...summary, durationMs: performance.now() - t0 };
}

/** Asks the running prediction to stop after the batch in flight. */
export function cancelPredictJob(s: Services): boolean {
  const job = running.get(s);
  if (!job) return false;
  job.cancel();
  return true;
}
