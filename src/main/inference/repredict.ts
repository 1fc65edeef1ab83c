import { CxrError } from '../../shared/errors';
import type { RepredictProgress } from '../../shared/models';
import type { Services } from '../services/services';
import type { LongLived, ServiceRegistration } from '../services/serviceRegistry';

/** How long an activation waits for a prediction run it cancelled to stop. */
const BUSY_WAIT_MS = 60_000;

/**
 * Re-predicts the catalog after an activation, in the background, through the prediction job
 * (worker thread, `predictions` rows under the active model's id; images the model already
 * predicted keep their rows, and other models' rows stay, so old predictions remain attributable).
 * Its `predict.progress` events are relayed as `models.repredictProgress` with a status. A newer
 * activation cancels the run in flight.
 */
export class RepredictService implements LongLived {
  static readonly REGISTRATION: ServiceRegistration<'repredict', RepredictService> = { name: 'repredict', create: (s) => new RepredictService(s) };

  private current: { progress: RepredictProgress; done: Promise<RepredictProgress> } | null = null;
  private last: RepredictProgress | null = null;
  private generation = 0;

  constructor(private readonly s: Services) {}

  status(): RepredictProgress | null {
    return this.current?.progress ?? this.last;
  }

  whenDone(): Promise<RepredictProgress> | null {
    return this.current?.done ?? null;
  }

  /** Stops the run in flight after its current batch; gives up waiting after `waitMs`. */
  async cancel(waitMs = 30_000): Promise<void> {
    const c = this.current;
    if (!c) return;
    this.generation++;
    this.s.predictions.cancel();
    await Promise.race([c.done, new Promise((r) => setTimeout(r, waitMs).unref())]);
  }

  /** Starts re-predicting for `modelId`, which must already be the active model. */
  async start(modelId: string): Promise<RepredictProgress> {
    await this.cancel();
    const gen = ++this.generation;
    const progress: RepredictProgress = { modelId, status: 'running', done: 0, total: 0 };
    const emit = () => this.s.events.emit('models.repredictProgress', { ...progress });
    const off = this.s.events.subscribe((event, payload) => {
      if (event !== 'predict.progress') return;
      const p = payload as { modelId: string; done: number; total: number };
      if (p.modelId !== modelId) return;
      progress.done = p.done;
      progress.total = p.total;
      emit();
    });
    const finish = (status: RepredictProgress['status'], error?: string): RepredictProgress => {
      off();
      progress.status = status;
      if (error) progress.error = error;
      this.last = { ...progress };
      if (this.current?.progress === progress) this.current = null;
      emit();
      return { ...progress };
    };
    const done = (async (): Promise<RepredictProgress> => {
      try {
        const t0 = Date.now();
        for (;;) {
          if (gen !== this.generation) return finish('cancelled');
          try {
            const summary = await this.s.predictions.run({});
            progress.total = summary.total;
            progress.done = summary.predicted + summary.skipped.length;
            return finish(summary.cancelled || gen !== this.generation ? 'cancelled' : 'completed');
          } catch (err) {
            // A prediction run (an import's, or the previous model's) is still stopping: wait for it.
            if (err instanceof CxrError && err.code === 'BUSY' && Date.now() - t0 < BUSY_WAIT_MS) {
              this.s.predictions.cancel();
              await new Promise((r) => setTimeout(r, 100));
              continue;
            }
            throw err;
          }
        }
      } catch (err) {
        return finish('failed', err instanceof Error ? err.message : String(err));
      }
    })();
    this.current = { progress, done };
    emit();
    return { ...progress };
  }

  /** Cancels the run in flight and waits briefly for it to stop. */
  async close(): Promise<void> {
    await this.cancel(1_000);
  }
}
