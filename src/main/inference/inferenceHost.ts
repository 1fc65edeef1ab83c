/**
 * Main's side of the inference worker: started on first use (one per app), kept alive with its
 * model loaded, unref'd between requests so it never holds the process open, started afresh after
 * a crash. Requests carry ids; replies are routed back to the caller.
 */
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
}

export class InferenceHost implements LongLived {
  static readonly REGISTRATION: ServiceRegistration<'inference', InferenceHost> = { name: 'inference', create: (s) => new InferenceHost(s) };

  private thread: InferenceThread | null = null;

  constructor(private readonly s: Services) {}

  /** The running thread, started on first use and again after one died. */
  private get current(): InferenceThread {
    if (!this.thread) {
      const t: InferenceThread = new InferenceThread(this.s, () => {
        if (this.thread === t) this.thread = null;
      });
      this.thread = t;
    }
    return this.thread;
  }

  /** The worker thread now running, if any (tests kill it to check recovery). */
  get worker(): Worker | null {
    return this.thread?.worker ?? null;
  }

  /** Predicts catalog images in the worker; `nSamples` MC-dropout samples per band (the predictor's default when absent). */
  predict(modelDir: string, imageIds: number[], onBatch: (items: RunItem[]) => void, nSamples?: number): { cancel(): void; result: Promise<boolean> } {
    return this.current.predict(modelDir, imageIds, onBatch, nSamples);
  }

  heatmap(modelDir: string, imageId: number): Promise<{ heatmap: Heatmap; classIndex: number }> {
    return this.current.heatmap(modelDir, imageId);
  }

  /** Ends the thread; requests in flight fail with 'inference worker exited'. */
  async close(): Promise<void> {
    const t = this.thread;
    this.thread = null;
    if (t) await t.worker.terminate();
  }
}
