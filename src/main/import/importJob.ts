import type { Worker } from 'node:worker_threads';
import type { ImportProgress, ImportStatus, ImportSummary } from '../../shared/import';
import { CxrError } from '../../shared/errors';
import { lastImportSummary } from '../catalog/imports';
import type { Services } from '../services/services';
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

/** One import at a time per app: the running one, by services. */
const running = new WeakMap<Services, RunningImport>();

/**
 * Starts an import in a worker thread, so the main process's event loop stays free. Resolves once
 * the worker has created its import row; `done` resolves with the summary. Progress and the
 * summary also go out as `import.progress` / `import.done` events.
 */
export async function startImportJob(
  s: Services,
  req: { roots: string[]; labelsFromFolders: boolean },
): Promise<{ importId: number; done: Promise<ImportSummary> }> {
  if (running.has(s)) throw new CxrError('BUSY', `import ${running.get(s)!.importId} is still running; cancel it or wait`);
  const workerReq: ImportJobRequest = { catalogPath: s.catalogPath, dataDir: s.dataDir, ...req };
  const worker = startWorker('import', { workerData: workerReq });
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
          running.set(s, job);
          resolve(m.importId);
          break;
        case 'progress':
          if (job) job.progress = m.progress;
          s.events.emit('import.progress', m.progress);
          break;
        case 'done':
          running.delete(s);
          s.events.emit('import.done', m.summary);
          resolveDone(m.summary);
          break;
        case 'failed':
          running.delete(s);
          reject(new CxrError('INTERNAL', `import failed: ${m.message}`));
          rejectDone(new Error(m.message));
          break;
      }
    });
    worker.on('error', (err) => {
      running.delete(s);
      reject(new CxrError('INTERNAL', `import worker crashed: ${err.message}`));
      rejectDone(err);
    });
    worker.on('exit', (code) => {
      if (running.get(s)?.worker === worker) running.delete(s);
      const err = new Error(`import worker exited with code ${code} before finishing`);
      reject(new CxrError('INTERNAL', err.message));
      rejectDone(err);
    });
  });
  return { importId, done };
}

/** Asks the running import to stop after the files in flight; it then reports status 'cancelled'. */
export function cancelImportJob(s: Services): boolean {
  const job = running.get(s);
  if (!job) return false;
  job.worker.postMessage({ type: 'cancel' });
  return true;
}

export function importJobStatus(s: Services): ImportStatus {
  const job = running.get(s);
  return {
    running: job !== undefined,
    importId: job?.importId ?? null,
    progress: job?.progress ?? null,
    last: lastImportSummary(s.catalog),
  };
}
