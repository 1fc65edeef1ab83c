import type { Worker } from 'node:worker_threads';
import type { ImportProgress, ImportStatus, ImportSummary } from '../../shared/import';
import { CxrError } from '../../shared/errors';
import { lastImportSummary } from '../catalog/imports';
import type { Services } from '../services/services';
import type { LongLived, ServiceRegistration } from '../services/serviceRegistry';
import { startWorker } from '../workers/startWorker';

export interface ImportJobRequest {
  catalogPath: string;
  dataDir: string;
  roots: string[];
  labelsFromFolders: boolean;
}

export type ImportWorkerMessage =
  | { type: 'started'; importId: number }
  | { type: 'progress'; progress: ImportProgress }
  | { type: 'done'; summary: ImportSummary }
  | { type: 'failed'; message: string };

interface RunningImport {
  worker: Worker;
  importId: number;
  progress: ImportProgress | null;
  done: Promise<ImportSummary>;
}

/** How long quitting waits for a cancelled import to record itself 'cancelled' before ending its thread. */
const CLOSE_GRACE_MS = 3_000;

/**
 * Imports in a worker thread, one at a time per app, so the main process's event loop stays free.
 * Progress and the summary go out as `import.progress` / `import.done` events.
 */
export class ImportJobs implements LongLived {
  static readonly REGISTRATION: ServiceRegistration<'imports', ImportJobs> = { name: 'imports', create: (s) => new ImportJobs(s) };

  private running: RunningImport | null = null;
  /** Threads from their start until they exit: `running` is set only once one has made its import row. */
  private readonly workers = new Set<Worker>();

  constructor(private readonly s: Services) {}

  /** Starts an import; resolves once the worker has created its import row. `done` resolves with the summary. */
  async start(req: { roots: string[]; labelsFromFolders: boolean }): Promise<{ importId: number; done: Promise<ImportSummary> }> {
    const s = this.s;
    if (this.running) throw new CxrError('BUSY', `import ${this.running.importId} is still running; cancel it or wait`);
    const workerReq: ImportJobRequest = { catalogPath: s.catalogPath, dataDir: s.dataDir, ...req };
    const worker = startWorker('import', { workerData: workerReq });
    this.workers.add(worker);
    let resolveDone!: (v: ImportSummary) => void;
    let rejectDone!: (e: Error) => void;
    const done = new Promise<ImportSummary>((res, rej) => {
      resolveDone = res;
      rejectDone = rej;
    });
    // A caller that only wants the id must not get an unhandled rejection from `done`.
    done.catch(() => {});
    const importId = await new Promise<number>((resolve, reject) => {
      let job: RunningImport | undefined;
      worker.on('message', (m: ImportWorkerMessage) => {
        switch (m.type) {
          case 'started':
            job = { worker, importId: m.importId, progress: null, done };
            this.running = job;
            resolve(m.importId);
            break;
          case 'progress':
            if (job) job.progress = m.progress;
            s.events.emit('import.progress', m.progress);
            break;
          case 'done':
            this.running = null;
            s.events.emit('import.done', m.summary);
            resolveDone(m.summary);
            break;
          case 'failed':
            this.running = null;
            reject(new CxrError('INTERNAL', `import failed: ${m.message}`));
            rejectDone(new Error(m.message));
            break;
        }
      });
      worker.on('error', (err) => {
        this.running = null;
        reject(new CxrError('INTERNAL', `import worker crashed: ${err.message}`));
        rejectDone(err);
      });
      worker.on('exit', (code) => {
        this.workers.delete(worker);
        if (this.running?.worker === worker) this.running = null;
        const err = new Error(`import worker exited with code ${code} before finishing`);
        reject(new CxrError('INTERNAL', err.message));
        rejectDone(err);
      });
    });
    return { importId, done };
  }

  /** Asks the running import to stop after the files in flight; it then reports status 'cancelled'. */
  cancel(): boolean {
    if (!this.running) return false;
    this.running.worker.postMessage({ type: 'cancel' });
    return true;
  }

  status(): ImportStatus {
    const job = this.running;
    return {
      running: job !== null,
      importId: job?.importId ?? null,
      progress: job?.progress ?? null,
      last: lastImportSummary(this.s.catalog),
    };
  }

  /** Cancels the import in flight, gives it a moment to record that, then ends its thread. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.workers].map(async (worker) => {
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        worker.postMessage({ type: 'cancel' });
        await Promise.race([exited, new Promise((r) => setTimeout(r, CLOSE_GRACE_MS).unref())]);
        await worker.terminate();
      }),
    );
  }
}
