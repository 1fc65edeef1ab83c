/**
 * Catalog prediction as a job: one at a time per app, with `predict.progress` events and cancel.
 * It runs in the long-lived inference worker (inferenceHost.ts), never on main's event loop;
 * `inline` (tests, scripts) runs it in the calling thread instead.
 */
import { CxrError } from '../../shared/errors';
import type { PredictSummary } from '../../shared/predict';
import type { Services } from '../services/services';
import type { LongLived, ServiceRegistration } from '../services/serviceRegistry';
import { initBackend } from '../tfjs/backend';
import { loadModel } from '../models/registry';
import { predictionModel } from '../models/activeModel';
import { Predictor } from './predictor';
import { invalidPrediction, predictCatalogImages, type RunItem } from './predictRun';
import { predictedImageIds, unpredictedEligible, writePrediction } from '../catalog/predictions';
import { writeTransaction } from '../catalog/openCatalog';

export class PredictionJobs implements LongLived {
  static readonly REGISTRATION: ServiceRegistration<'predictions', PredictionJobs> = { name: 'predictions', create: (s) => new PredictionJobs(s) };

  private running: { cancel(): void } | null = null;
  /** The inline path's predictor, kept for the model it was loaded for. */
  private inlinePredictor: { dir: string; predictor: Promise<Predictor> } | null = null;

  constructor(private readonly s: Services) {}

  /** `inline` runs in this thread; `nSamples` sets the MC-dropout samples per band (default: the predictor's 30). */
  async run(req: { imageIds?: number[]; force?: boolean }, opts: { inline?: boolean; nSamples?: number } = {}): Promise<PredictSummary> {
    const s = this.s;
    if (this.running) throw new CxrError('BUSY', 'a prediction run is in progress; cancel it or wait');
    const t0 = performance.now();
    const model = predictionModel(s);
    const modelId = model.id;
    let ids = req.imageIds ? [...new Set(req.imageIds)] : unpredictedEligible(s.catalog, modelId);
    if (req.imageIds && !req.force) {
      const have = new Set(predictedImageIds(s.catalog, modelId));
      ids = ids.filter((id) => !have.has(id));
    }
    const total = ids.length;
    const summary: PredictSummary = { modelId, total, predicted: 0, skipped: [], cancelled: false, durationMs: 0 };
    let done = 0;
    /** Writes a batch; returns how many were written and the items skipped, counted once it commits. */
    const write = writeTransaction(s.catalog, (items: RunItem[]) => {
      const skipped: PredictSummary['skipped'] = [];
      let written = 0;
      for (const it of items) {
        // Checked again here: whatever the worker sent, nothing non-finite reaches the table.
        const why = 'prediction' in it ? invalidPrediction(it.prediction) : it.error;
        if (why === null && 'prediction' in it) {
          writePrediction(s.catalog, modelId, it.imageId, it.prediction);
          written++;
        } else skipped.push({ imageId: it.imageId, reason: why ?? 'no prediction' });
      }
      return { written, skipped };
    });
    // Runs in a worker's message handler: it must never throw, or the failure is uncaught and the run's answer wrong.
    const onBatch = (items: RunItem[]) => {
      try {
        const r = write(items);
        summary.predicted += r.written;
        summary.skipped.push(...r.skipped);
      } catch (err) {
        const reason = `not written to the catalog: ${err instanceof Error ? err.message : String(err)}`;
        for (const it of items) summary.skipped.push({ imageId: it.imageId, reason });
      }
      done += items.length;
      s.events.emit('predict.progress', { modelId, done, total });
    };
    s.events.emit('predict.progress', { modelId, done: 0, total });
    if (total === 0) return { ...summary, durationMs: performance.now() - t0 };

    if (opts.inline) {
      let cancelled = false;
      this.running = { cancel: () => (cancelled = true) };
      try {
        const predictor = await this.predictorFor(model.dir);
        const r = await predictCatalogImages(s, predictor, ids, { onBatch, cancelled: () => cancelled, nSamples: opts.nSamples });
        summary.cancelled = r.cancelled;
      } finally {
        this.running = null;
      }
    } else {
      const job = s.inference.predict(model.dir, ids, onBatch, opts.nSamples);
      this.running = { cancel: job.cancel };
      try {
        summary.cancelled = await job.result;
      } finally {
        this.running = null;
      }
    }
    return { ...summary, durationMs: performance.now() - t0 };
  }

  /** Asks the running prediction to stop after the batch in flight. */
  cancel(): boolean {
    if (!this.running) return false;
    this.running.cancel();
    return true;
  }

  private predictorFor(dir: string): Promise<Predictor> {
    if (this.inlinePredictor?.dir === dir) return this.inlinePredictor.predictor;
    this.disposeInline();
    const predictor = (async () => {
      await initBackend();
      const { model, card } = await loadModel(dir);
      return new Predictor(model, card);
    })();
    const entry = { dir, predictor };
    // A failed load is not kept.
    predictor.catch(() => {
      if (this.inlinePredictor === entry) this.inlinePredictor = null;
    });
    this.inlinePredictor = entry;
    return predictor;
  }

  private disposeInline(): void {
    void this.inlinePredictor?.predictor.then(
      (p) => {
        p.dispose();
        p.model.dispose();
      },
      () => {},
    );
    this.inlinePredictor = null;
  }

  /** Stops the run in flight (its worker ends with the inference host) and frees the inline model. */
  async close(): Promise<void> {
    this.cancel();
    this.disposeInline();
  }
}
