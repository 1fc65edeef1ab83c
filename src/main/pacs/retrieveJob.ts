/**
 * Retrieves picked studies over DICOMweb into the inbox, then imports them through the normal
 * import pipeline (same screening, dedupe, repair and error rows). Instances come one request each
 * (QIDO-RS lists them, WADO-RS fetches each), a few at a time and written as they arrive, so
 * memory holds a few instances whatever the study's size. Cancel stops between instances.
 */
import path from 'node:path';
import type { ImportSummary } from '../../shared/import';
import type { PacsRetrieveFailure, PacsRetrieveProgress, PacsRetrieveSummary } from '../../shared/pacs';
import type { DicomWebConnection, InstanceRef } from './dicomweb';
import { PacsError } from './pacsError';
import { instanceFileName, retrievedStudyDir, writeWhole } from './inbox';

/** Instances in flight at once: enough to hide the PACS's latency, few enough to bound memory. */
const CONCURRENCY = 3;
const PROGRESS_INTERVAL_MS = 100;

export interface RetrieveJobOptions {
  jobId: number;
  dataDir: string;
  connection: DicomWebConnection;
  studyUids: string[];
  importFolders(roots: string[]): Promise<ImportSummary>;
  onProgress(p: PacsRetrieveProgress): void;
}

export class RetrieveJob {
  readonly done: Promise<PacsRetrieveSummary>;
  private readonly abort = new AbortController();
  private progress: PacsRetrieveProgress;
  private lastEmit = 0;

  constructor(private readonly opts: RetrieveJobOptions) {
    this.progress = { jobId: opts.jobId, stage: 'listing', studies: opts.studyUids.length, total: 0, retrieved: 0, failed: 0, bytes: 0 };
    this.done = this.run();
    // A caller that only wants the job started must not get an unhandled rejection.
    this.done.catch(() => {});
  }

  get status(): PacsRetrieveProgress {
    return { ...this.progress };
  }

  cancel(): void {
    this.abort.abort();
  }

  /** Cancels and waits for the job to stop (its network requests end with it). */
  async close(): Promise<void> {
    this.cancel();
    await this.done.catch(() => {});
  }

  private emit(force = false): void {
    const now = performance.now();
    if (!force && now - this.lastEmit < PROGRESS_INTERVAL_MS) return;
    this.lastEmit = now;
    this.opts.onProgress({ ...this.progress });
  }

  private async run(): Promise<PacsRetrieveSummary> {
    const t0 = performance.now();
    const { connection, dataDir } = this.opts;
    const signal = this.abort.signal;
    const failures: PacsRetrieveFailure[] = [];
    const fail = (studyInstanceUID: string, sopInstanceUID: string | null, err: unknown) => {
      const e = err instanceof PacsError ? err : new PacsError('network', err instanceof Error ? err.message : String(err));
      failures.push({ studyInstanceUID, sopInstanceUID, kind: e.kind, reason: e.message });
      this.progress.failed++;
    };
    const roots: string[] = [];
    let listed = 0;
    let status: PacsRetrieveSummary['status'] = 'completed';
    let importSummary: ImportSummary | null = null;
    this.emit(true);
    try {
      const plans: { study: string; dir: string; instances: InstanceRef[] }[] = [];
      for (const study of this.opts.studyUids) {
        if (signal.aborted) break;
        try {
          const instances = await connection.searchInstances(study, signal);
          if (instances.length === 0) fail(study, null, new PacsError('not_found', `the PACS lists no instances in study ${study}`));
          plans.push({ study, dir: retrievedStudyDir(dataDir, study), instances });
          listed += instances.length;
          this.progress.total = listed;
          this.emit();
        } catch (err) {
          if (signal.aborted) break;
          fail(study, null, err);
        }
      }
      this.progress.stage = 'retrieving';
      this.emit(true);
      const queue = plans.flatMap((p) => p.instances.map((ref) => ({ ref, dir: p.dir })));
      let next = 0;
      const written = new Set<string>();
      const worker = async () => {
        while (next < queue.length && !signal.aborted) {
          const { ref, dir } = queue[next++]!;
          try {
            const bytes = await connection.retrieveInstance(ref, {
              signal,
              onBytes: (n) => {
                this.progress.bytes += n;
                this.emit();
              },
            });
            await writeWhole(path.join(dir, instanceFileName(ref.sopInstanceUID)), bytes);
            written.add(dir);
            this.progress.retrieved++;
            this.emit();
          } catch (err) {
            if (signal.aborted) return;
            fail(ref.studyInstanceUID, ref.sopInstanceUID, err);
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      if (signal.aborted) status = 'cancelled';
      else {
        roots.push(...plans.map((p) => p.dir).filter((d) => written.has(d)));
        if (roots.length > 0) {
          this.progress.stage = 'importing';
          this.emit(true);
          importSummary = await this.opts.importFolders(roots);
        }
        if (this.progress.retrieved === 0 && failures.length > 0) status = 'failed';
      }
    } catch (err) {
      status = signal.aborted ? 'cancelled' : 'failed';
      if (!signal.aborted) fail('', null, err);
    }
    this.progress.stage = 'done';
    this.emit(true);
    return {
      jobId: this.opts.jobId,
      status,
      studies: this.opts.studyUids.length,
      listed,
      retrieved: this.progress.retrieved,
      bytes: this.progress.bytes,
      failures,
      inbox: path.dirname(retrievedStudyDir(dataDir, 'x')),
      import: importSummary,
      durationMs: Math.round(performance.now() - t0),
    };
  }
}
