/**
 * Main's side of the inference workers: started on first use, kept alive with their model loaded,
 * unref'd between requests so they never hold the process open, started afresh after a crash.
 * Requests carry ids; replies are routed back to the caller.
 *
 * A pool sized to the cores where the backend is single-threaded (wasm in Node runs one thread,
 * tfjs issue 3830; cpu too): a prediction run is split across the workers, one backend each, as
 * bench:model's infer2Workers measures. A native or GPU backend already uses the machine from one
 * worker, so there the pool stays at one. Heatmaps go to the first worker.
 */
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { Services } from '../services/services';
import type { LongLived, ServiceRegistration } from '../services/serviceRegistry';
import { startWorker } from '../workers/startWorker';
import { CxrError } from '../../shared/errors';
import type { InferenceReply, InferenceRequest } from './protocol';
import type { RunItem } from './predictRun';
import type { Heatmap } from '../explain/gradCam';

type Listener = (m: InferenceReply) => void;

/** One inference worker thread; `onGone` runs once it has crashed or exited. */
class InferenceThread {
  readonly worker: Worker;
  private readonly listeners = new Map<number, { onReply: Listener; fail: (e: Error) => void }>();
  private nextId = 1;

  constructor(s: Services, onGone: () => void) {
    this.worker = startWorker('inference', { workerData: { catalogPath: s.catalogPath, dataDir: s.dataDir } });
    this.worker.unref();
    this.worker.on('message', (m: InferenceReply) => this.listeners.get(m.id)?.onReply(m));
    const failAll = (e: Error) => {
      onGone();
      for (const l of this.listeners.values()) l.fail(e);
      this.listeners.clear();
    };
    this.worker.on('error', (err) => failAll(new CxrError('INTERNAL', `inference worker crashed: ${err.message}`)));
    this.worker.on('exit', (code) => failAll(new CxrError('INTERNAL', `inference worker exited with code ${code}`)));
  }

  private request<T>(make: (id: number) => InferenceRequest, onReply: (m: InferenceReply, done: (v: T) => void, fail: (e: Error) => void) => void): { id: number; result: Promise<T> } {
    const id = this.nextId++;
    const result = new Promise<T>((resolve, reject) => {
      const settle = () => {
        this.listeners.delete(id);
        if (this.listeners.size === 0) this.worker.unref();
      };
      const done = (v: T) => {
        settle();
        resolve(v);
      };
      const fail = (e: Error) => {
        settle();
        reject(e);
      };
      // Held open only while a request is in flight.
      this.worker.ref();
      this.listeners.set(id, {
        onReply: (m) => (m.type === 'failed' ? fail(new CxrError('INTERNAL', m.message)) : onReply(m, done, fail)),
        fail,
      });
    });
    this.worker.postMessage(make(id));
    return { id, result };
  }

  predict(modelDir: string, imageIds: number[], onBatch: (items: RunItem[]) => void, nSamples?: number): { cancel(): void; result: Promise<boolean> } {
    const { id, result } = this.request<boolean>(
      (id) => ({ type: 'predict', id, modelDir, imageIds, nSamples }),
      (m, done) => {
        if (m.type === 'batch') onBatch(m.items);
        else if (m.type === 'done') done(m.cancelled);
      },
    );
    return { cancel: () => this.worker.postMessage({ type: 'cancel', id: 0, target: id } satisfies InferenceRequest), result };
  }

  heatmap(modelDir: string, imageId: number): Promise<{ heatmap: Heatmap; classIndex: number }> {
    return this.request<{ heatmap: Heatmap; classIndex: number }>(
      (id) => ({ type: 'heatmap', id, modelDir, imageId }),
      (m, done) => {
        if (m.type === 'heatmap') done({ heatmap: { data: m.data, shape: m.shape, layer: m.layer }, classIndex: m.classIndex });
      },
    ).result;
  }

  backend(): Promise<{ name: string; threads: number }> {
    return this.request<{ name: string; threads: number }>(
      (id) => ({ type: 'backend', id }),
      (m, done) => {
        if (m.type === 'backend') done({ name: m.name, threads: m.threads });
      },
    ).result;
  }
}

/** Backends that compute on one thread per worker, so that more workers use more cores. */
const SINGLE_THREADED = new Set(['wasm', 'cpu']);

/** Images per worker below which a run is not split: a second worker would load its model for a handful of images. */
const MIN_PER_WORKER = 16;

/** Contiguous parts of `ids`, at most `n`, none under MIN_PER_WORKER unless there is only one. */
export function splitRun(ids: readonly number[], n: number): number[][] {
  const parts = Math.max(1, Math.min(n, Math.floor(ids.length / MIN_PER_WORKER)));
  const size = Math.ceil(ids.length / parts);
  return Array.from({ length: parts }, (_, i) => ids.slice(i * size, (i + 1) * size)).filter((p) => p.length > 0);
}

export class InferenceHost implements LongLived {
  static readonly REGISTRATION: ServiceRegistration<'inference', InferenceHost> = { name: 'inference', create: (s) => new InferenceHost(s) };

  private readonly threads: (InferenceThread | null)[] = [];
  /** How many workers a run uses: asked of the first worker's backend once. */
  private poolSize: Promise<number> | null = null;

  /** `maxWorkers`: the pool's ceiling (default the cores, at most 4: each worker holds a model and a wasm heap). */
  constructor(
    private readonly s: Services,
    private readonly maxWorkers = Math.max(1, Math.min(4, os.availableParallelism())),
  ) {}

  /** Thread `i`, started on first use and again after one died. */
  private thread(i: number): InferenceThread {
    let t = this.threads[i];
    if (!t) {
      const started: InferenceThread = new InferenceThread(this.s, () => {
        if (this.threads[i] === started) this.threads[i] = null;
      });
      this.threads[i] = t = started;
    }
    return t;
  }

  /** The workers a run may use: the ceiling on a single-threaded backend, else one. */
  size(): Promise<number> {
    if (!this.poolSize) {
      const asked = this.thread(0)
        .backend()
        .then((b) => (SINGLE_THREADED.has(b.name) && b.threads <= 1 ? this.maxWorkers : 1));
      // A worker that died while answering is asked again next time.
      asked.catch(() => {
        if (this.poolSize === asked) this.poolSize = null;
      });
      this.poolSize = asked;
    }
    return this.poolSize;
  }

  /** The first worker thread now running, if any (tests kill it to check recovery). */
  get worker(): Worker | null {
    return this.threads[0]?.worker ?? null;
  }

  /** The worker threads now running. */
  get workers(): Worker[] {
    return this.threads.flatMap((t) => (t ? [t.worker] : []));
  }

  /**
   * Predicts catalog images in the pool, split into contiguous parts; `nSamples` MC-dropout samples
   * per band (the predictor's default when absent). A part that fails cancels the others, and the
   * run fails once all have stopped, so nothing is written after the failure is reported.
   */
  predict(modelDir: string, imageIds: number[], onBatch: (items: RunItem[]) => void, nSamples?: number): { cancel(): void; result: Promise<boolean> } {
    let cancelled = false;
    const jobs: { cancel(): void }[] = [];
    const cancel = () => {
      cancelled = true;
      for (const j of jobs) j.cancel();
    };
    const result = (async () => {
      const parts = splitRun(imageIds, await this.size());
      if (cancelled) return true;
      const running = parts.map((ids, i) => this.thread(i).predict(modelDir, ids, onBatch, nSamples));
      jobs.push(...running);
      for (const j of running) j.result.catch(cancel);
      const settled = await Promise.allSettled(running.map((j) => j.result));
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      return settled.some((r) => r.status === 'fulfilled' && r.value);
    })();
    return { cancel, result };
  }

  heatmap(modelDir: string, imageId: number): Promise<{ heatmap: Heatmap; classIndex: number }> {
    return this.thread(0).heatmap(modelDir, imageId);
  }

  /** Ends the threads; requests in flight fail with 'inference worker exited'. */
  async close(): Promise<void> {
    const ts = this.threads.splice(0);
    this.poolSize = null;
    await Promise.all(ts.map((t) => t?.worker.terminate()));
  }
}
