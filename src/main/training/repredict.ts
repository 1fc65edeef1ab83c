import type { Worker } from 'node:worker_threads';
import { audit } from '../catalog/openCatalog';
import { renderingPath } from '../imaging/rendering';
import { startWorker } from '../jobs/workerScript';
import type { Services } from '../services';
import type { RepredictProgress } from '../../shared/models';
import type { RepredictItem, RepredictWorkerMessage } from './repredictProtocol';

interface ImageRow {
  id: number;
  rendering_hash: string;
  status: 'eligible' | 'excluded';
  exclusion_reason: string | null;
  warnings: string;
}

interface Running {
  worker: Worker;
  progress: RepredictProgress;
  done: Promise<RepredictProgress>;
}

/**
 * Re-predicts every eligible catalogued image that the model has not predicted yet, in a worker
 * thread, writing one `predictions` row per image under that model's id; other models' rows
 * stay, so old predictions remain attributable. One run at a
 * time: activating another model cancels the previous re-prediction.
 */
export class RepredictService {
  private current: Running | null = null;
  private last: RepredictProgress | null = null;

  constructor(private readonly s: Services) {}

  status(): RepredictProgress | null {
    return this.current?.progress ?? this.last;
  }

  whenDone(): Promise<RepredictProgress> | null {
    return this.current?.done ?? null;
  }

  async cancel(): Promise<void> {
    const c = this.current;
    if (!c) return;
    c.worker.postMessage('cancel');
    await c.done;
  }

  async start(modelId: string, modelDir: string): Promise<RepredictProgress> {
    await this.cancel();
    const rows = this.s.catalog
      .prepare(
        // An image this model already predicted keeps that row: same weights, same answer.
        `SELECT id, rendering_hash, status, exclusion_reason, warnings FROM images i
         WHERE status = 'eligible' AND rendering_hash IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM predictions p WHERE p.image_id = i.id AND p.model_id = ?)
         ORDER BY id`,
      )
      .all(modelId) as ImageRow[];
    const items: RepredictItem[] = rows.map((r) => ({
      imageId: r.id,
      file: renderingPath(this.s.dataDir, r.rendering_hash),
      quality: { status: r.status, exclusionReason: r.exclusion_reason, warnings: JSON.parse(r.warnings) as string[] },
    }));
    const progress: RepredictProgress = { modelId, status: 'running', done: 0, total: items.length };
    const worker = startWorker(import.meta.url, './repredictWorker', { workerData: { modelDir, items, batchSize: 16 } });
    const insert = this.s.catalog.prepare(
      `INSERT INTO predictions (image_id, model_id, predicted, p_covid, p_normal, p_pneumonia, band_json, conformal_set, quality_json, ood_score, method, n_samples, duration_ms)
       VALUES (@imageId, @modelId, @predicted, @pCovid, @pNormal, @pPneumonia, @band, @set, @quality, @ood, @method, @n, @ms)
       ON CONFLICT (image_id, model_id) DO UPDATE SET predicted = excluded.predicted, p_covid = excluded.p_covid,
         p_normal = excluded.p_normal, p_pneumonia = excluded.p_pneumonia, band_json = excluded.band_json,
         conformal_set = excluded.conformal_set, quality_json = excluded.quality_json, ood_score = excluded.ood_score,
         method = excluded.method, n_samples = excluded.n_samples, duration_ms = excluded.duration_ms,
         created_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`,
    );
    const write = this.s.catalog.transaction((batch: Extract<RepredictWorkerMessage, { type: 'batch' }>['rows']) => {
      for (const { imageId, prediction: p } of batch) {
        insert.run({
          imageId,
          modelId,
          predicted: p.predicted,
          pCovid: p.probs.COVID19,
          pNormal: p.probs.NORMAL,
          pPneumonia: p.probs.PNEUMONIA,
          band: JSON.stringify(p.band),
          set: JSON.stringify(p.set),
          quality: JSON.stringify(p.quality),
          ood: Number.isFinite(p.oodScore) ? p.oodScore : null,
          method: p.method,
          n: p.nSamples,
          ms: p.durationMs,
        });
      }
    });
    const emit = () => this.s.events.emit('models.repredictProgress', { ...progress });
    const done = new Promise<RepredictProgress>((resolve) => {
      let settled = false;
      const finish = (status: RepredictProgress['status'], error?: string) => {
        if (settled) return;
        settled = true;
        progress.status = status;
        if (error) progress.error = error;
        this.last = { ...progress };
        if (this.current?.worker === worker) this.current = null;
        audit(this.s.catalog, { actor: 'models', action: `models.repredict.${status}`, entity: 'model', entityId: modelId, detail: { done: progress.done, total: progress.total } });
        emit();
        resolve({ ...progress });
      };
      worker.on('message', (m: RepredictWorkerMessage) => {
        if (m.type === 'batch') {
          write(m.rows);
          progress.done += m.rows.length + m.failed.length;
          emit();
        } else if (m.type === 'done') finish(m.status);
        else finish('failed', m.message);
      });
      worker.on('error', (err) => finish('failed', err.message));
      worker.on('exit', (code) => finish('failed', `the prediction worker stopped (exit code ${code}) before it finished`));
    });
    this.current = { worker, progress, done };
    emit();
    return { ...progress };
  }
}

const instances = new WeakMap<Services, RepredictService>();
export function repredictService(s: Services): RepredictService {
  let r = instances.get(s);
  if (!r) {
    r = new RepredictService(s);
    instances.set(s, r);
  }
  return r;
}
