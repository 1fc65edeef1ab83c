/**
 * Retrieves picked studies over DICOMweb into the inbox, then imports them through the normal
 * import pipeline (same screening, dedupe, repair and error rows). The network side runs in a
 * worker thread (pacsRetrieve.worker.ts): dicomweb-client decodes each multipart answer in plain
 * JavaScript, ~0.1 s per MiB, which would stall the main process's event loop. Instances come one
 * request each (QIDO-RS lists them, WADO-RS fetches each), a few at a time and written as they
 * arrive, so memory holds a few instances whatever the study's size. Cancel stops between
 * instances and aborts those in flight.
 */
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { ImportSummary } from '../../shared/import';
import type { PacsRetrieveFailure, PacsRetrieveProgress, PacsRetrieveSummary } from '../../shared/pacs';
import { startWorker } from '../workers/startWorker';
import type { DicomWebConnection, DicomWebTarget, InstanceRef } from './dicomweb';
import { PacsError } from './pacsError';
import { inboxRoot, instanceFileName, retrievedStudyDir, writeWhole } from './inbox';

/** Instances in flight at once: enough to hide the PACS's latency, few enough to bound memory. */
const CONCURRENCY = 3;
const PROGRESS_INTERVAL_MS = 100;

export interface DownloadResult {
  listed: number;
  retrieved: number;
  bytes: number;
  failures: PacsRetrieveFailure[];
  /** Study folders that received at least one instance. */
  roots: string[];
}

type Progress = Omit<PacsRetrieveProgress, 'jobId' | 'studies'>;

/** Lists and fetches every instance of the studies into the inbox (the worker's job). */
export async function downloadStudies(
  connection: DicomWebConnection,
  dataDir: string,
  studyUids: string[],
  signal: AbortSignal,
  onProgress: (p: Progress, force: boolean) => void,
): Promise<DownloadResult> {
  const p: Progress = { stage: 'listing', total: 0, retrieved: 0, failed: 0, bytes: 0 };
  const failures: PacsRetrieveFailure[] = [];
  const fail = (studyInstanceUID: string, sopInstanceUID: string | null, err: unknown) => {
    const e = err instanceof PacsError ? err : new PacsError('network', err instanceof Error ? err.message : String(err));
    failures.push({ studyInstanceUID, sopInstanceUID, kind: e.kind, reason: e.message });
    p.failed++;
  };
  onProgress(p, true);
  const plans: { dir: string; instances: InstanceRef[] }[] = [];
  for (const study of studyUids) {
    if (signal.aborted) break;
    try {
      const instances = await connection.searchInstances(study, signal);
      if (instances.length === 0) fail(study, null, new PacsError('not_found', `the PACS lists no instances in study ${study}`));
      plans.push({ dir: retrievedStudyDir(dataDir, study), instances });
      p.total += instances.length;
      onProgress(p, false);
    } catch (err) {
      if (signal.aborted) break;
      fail(study, null, err);
    }
  }
  p.stage = 'retrieving';
  onProgress(p, true);
  const queue = plans.flatMap((plan) => plan.instances.map((ref) => ({ ref, dir: plan.dir })));
  let next = 0;
  const written = new Set<string>();
  const worker = async () => {
    while (next < queue.length && !signal.aborted) {
      const { ref, dir } = queue[next++]!;
      try {
        const fetchOnce = () =>
          connection.retrieveInstance(ref, {
            signal,
            onBytes: (n) => {
              p.bytes += n;
              onProgress(p, false);
            },
          });
        // A connection dropped mid-answer (a busy PACS, a proxy's idle cut) is worth one more try;
        // a second drop is reported.
        const bytes = await fetchOnce().catch((err: unknown) => {
          if (signal.aborted || !(err instanceof PacsError) || err.kind !== 'reset') throw err;
          return fetchOnce();
        });
        await writeWhole(path.join(dir, instanceFileName(ref.sopInstanceUID)), bytes);
        written.add(dir);
        p.retrieved++;
        onProgress(p, false);
      } catch (err) {
        if (signal.aborted) return;
        fail(ref.studyInstanceUID, ref.sopInstanceUID, err);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  onProgress(p, true);
  return { listed: p.total, retrieved: p.retrieved, bytes: p.bytes, failures, roots: plans.map((x) => x.dir).filter((d) => written.has(d)) };
}

export interface RetrieveWorkerRequest {
  target: DicomWebTarget;
  dataDir: string;
  studyUids: string[];
}

export type RetrieveWorkerMessage = { type: 'progress'; progress: Progress } | { type: 'done'; result: DownloadResult } | { type: 'failed'; message: string };

export interface RetrieveJobOptions {
  jobId: number;
  dataDir: string;
  target: DicomWebTarget;
  studyUids: string[];
  importFolders(roots: string[]): Promise<ImportSummary>;
  onProgress(p: PacsRetrieveProgress): void;
}

export class RetrieveJob {
  readonly done: Promise<PacsRetrieveSummary>;
  private readonly worker: Worker;
  private cancelled = false;
  private progress: PacsRetrieveProgress;
  private lastEmit = 0;

  constructor(private readonly opts: RetrieveJobOptions) {
    this.progress = { jobId: opts.jobId, stage: 'listing', studies: opts.studyUids.length, total: 0, retrieved: 0, failed: 0, bytes: 0 };
    const req: RetrieveWorkerRequest = { target: opts.target, dataDir: opts.dataDir, studyUids: opts.studyUids };
    this.worker = startWorker('pacsRetrieve', { workerData: req });
    this.done = this.run();
    // A caller that only wants the job started must not get an unhandled rejection.
    this.done.catch(() => {});
  }

  get status(): PacsRetrieveProgress {
    return { ...this.progress };
  }

  cancel(): void {
    this.cancelled = true;
    this.worker.postMessage({ type: 'cancel' });
  }

  /** Cancels and waits for the job to stop; a worker that does not stop in 5 s is terminated. */
  async close(): Promise<void> {
    this.cancel();
    const timer = setTimeout(() => void this.worker.terminate(), 5000);
    await this.done.catch(() => {});
    clearTimeout(timer);
  }

  private emit(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.lastEmit < PROGRESS_INTERVAL_MS) return;
    this.lastEmit = now;
    this.opts.onProgress({ ...this.progress });
  }

  private download(): Promise<DownloadResult> {
    return new Promise((resolve, reject) => {
      this.worker.on('message', (m: RetrieveWorkerMessage) => {
        if (m.type === 'progress') {
          this.progress = { ...this.progress, ...m.progress };
          this.emit(false);
        } else if (m.type === 'done') resolve(m.result);
        else reject(new PacsError('network', m.message));
      });
      this.worker.on('error', (err) => reject(new PacsError('network', `the retrieve worker failed: ${err.message}`)));
      this.worker.on('exit', (code) => reject(new PacsError(this.cancelled ? 'cancelled' : 'network', `the retrieve worker stopped (exit code ${code})`)));
    });
  }

  private async run(): Promise<PacsRetrieveSummary> {
    const t0 = performance.now();
    this.emit(true);
    let result: DownloadResult = { listed: 0, retrieved: 0, bytes: 0, failures: [], roots: [] };
    let status: PacsRetrieveSummary['status'] = 'completed';
    let importSummary: ImportSummary | null = null;
    try {
      result = await this.download();
      if (this.cancelled) status = 'cancelled';
      else {
        if (result.roots.length > 0) {
          this.progress.stage = 'importing';
          this.emit(true);
          importSummary = await this.opts.importFolders(result.roots);
        }
        if (result.retrieved === 0 && result.failures.length > 0) status = 'failed';
      }
    } catch (err) {
      status = this.cancelled ? 'cancelled' : 'failed';
      if (!this.cancelled) result.failures.push({ studyInstanceUID: '', sopInstanceUID: null, kind: err instanceof PacsError ? err.kind : 'network', reason: err instanceof Error ? err.message : String(err) });
    }
    this.progress.stage = 'done';
    this.emit(true);
    return {
      jobId: this.opts.jobId,
      status,
      studies: this.opts.studyUids.length,
      listed: result.listed,
      retrieved: result.retrieved,
      bytes: result.bytes,
      failures: result.failures,
      inbox: inboxRoot(this.opts.dataDir),
      import: importSummary,
      durationMs: Math.round(performance.now() - t0),
    };
  }
}
