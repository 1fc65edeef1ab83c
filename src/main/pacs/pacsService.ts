/**
 * The PACS on Services: settings and secrets, query, the retrieve job, the receiver, and results
 * sent back. Long-lived parts (the receiver's socket, a running retrieve, imports waiting their
 * turn) end in `close()`.
 */
import type { ServiceRegistration } from '../services/serviceRegistry';
import type { Services } from '../services/services';
import type { ImportSummary } from '../../shared/import';
import type {
  PacsConnectionTest,
  PacsReceiverStatus,
  PacsRetrieveStatus,
  PacsRetrieveSummary,
  PacsSendSummary,
  PacsSettingsView,
  PacsStudy,
} from '../../shared/pacs';
import { CxrError } from '../../shared/errors';
import { audit } from '../catalog/openCatalog';
import { reviewedImageIds } from '../catalog/pacs';
import { DicomWebConnection, type DicomWebTarget, type StudyQuery } from './dicomweb';
import { DicomReceiver } from './dicomReceiver';
import { cEcho, describePeer } from './dimseClient';
import { receivedDir } from './inbox';
import { PacsError } from './pacsError';
import { dicomWebTarget, readStoredSettings, SecretVault, settingsView, updateSettings, type PacsSettingsUpdate, type SecretStore, type StoredPacsSettings } from './pacsSettings';
import { RetrieveJob } from './retrieveJob';
import { sendResults } from './sendResults';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class PacsService {
  static readonly REGISTRATION: ServiceRegistration<'pacs', PacsService> = { name: 'pacs', create: (s) => new PacsService(s, s.secretStore) };

  readonly vault: SecretVault;
  private receiverInstance: DicomReceiver | null = null;
  private receiverKey = '';
  private receiverError: string | null = null;
  private lastReceivedImport: ImportSummary | null = null;
  private job: RetrieveJob | null = null;
  private lastRetrieve: PacsRetrieveSummary | null = null;
  private jobSeq = 0;
  /** Imports run one after another, after any import the user started. */
  private importChain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly s: Services,
    secretStore: SecretStore | null,
  ) {
    this.vault = new SecretVault(secretStore);
  }

  settings(): StoredPacsSettings {
    return readStoredSettings(this.s.catalog);
  }

  view(): PacsSettingsView {
    return settingsView(this.settings(), this.vault);
  }

  async update(req: PacsSettingsUpdate): Promise<PacsSettingsView> {
    updateSettings(this.s.catalog, this.vault, req);
    await this.applyReceiverSettings().catch(() => {
      // The error is kept for receiverStatus and shown in Settings; the settings are saved anyway.
    });
    return this.view();
  }

  connection(override?: Partial<DicomWebTarget> & { url: string }): DicomWebConnection {
    return new DicomWebConnection(dicomWebTarget(this.settings(), this.vault, override));
  }

  async testConnection(target: 'dicomweb' | 'dimse'): Promise<PacsConnectionTest> {
    const t0 = performance.now();
    const done = (ok: boolean, message: string, kind?: PacsConnectionTest['kind']): PacsConnectionTest => ({
      target,
      ok,
      message,
      durationMs: Math.round(performance.now() - t0),
      ...(kind ? { kind } : {}),
    });
    try {
      if (target === 'dicomweb') {
        const c = this.connection();
        const studies = await c.searchStudies({ modalities: [], limit: 1 });
        return done(true, `DICOMweb at ${c.server} answered a study search (${studies.length ? 'studies visible' : 'no studies yet'})`);
      }
      const st = this.settings();
      if (!st.dimse) throw new PacsError('bad_config', 'no DIMSE peer is set up: add its AE title, host and port');
      await cEcho(st.localAet, st.dimse, 10_000);
      return done(true, `C-ECHO to ${describePeer(st.dimse)} succeeded (calling as "${st.localAet}")`);
    } catch (err) {
      if (err instanceof PacsError) return done(false, err.message, err.kind);
      return done(false, err instanceof Error ? err.message : String(err), 'bad_config');
    }
  }

  query(q: StudyQuery, override?: Partial<DicomWebTarget> & { url: string }): Promise<PacsStudy[]> {
    return this.connection(override).searchStudies(q);
  }

  /** Imports folders through the import job (a worker), waiting for one already running. */
  importFolders(roots: string[]): Promise<ImportSummary> {
    const run = async (): Promise<ImportSummary> => {
      for (;;) {
        if (this.closed) throw new CxrError('CANCELLED', 'the app is closing; the files stay in the inbox and import on the next retrieve');
        try {
          const { done } = await this.s.imports.start({ roots, labelsFromFolders: false });
          return await done;
        } catch (err) {
          if (err instanceof CxrError && err.code === 'BUSY') {
            await sleep(300);
            continue;
          }
          throw err;
        }
      }
    };
    const next = this.importChain.then(run, run);
    this.importChain = next.catch(() => {});
    return next;
  }

  retrieve(studyUids: string[], override?: Partial<DicomWebTarget> & { url: string }): { jobId: number; done: Promise<PacsRetrieveSummary> } {
    if (this.job) throw new CxrError('BUSY', 'a retrieve is running; cancel it or wait');
    const target = dicomWebTarget(this.settings(), this.vault, override);
    const server = new DicomWebConnection(target).server;
    const jobId = ++this.jobSeq;
    const job = new RetrieveJob({
      jobId,
      dataDir: this.s.dataDir,
      target,
      studyUids,
      importFolders: (roots) => this.importFolders(roots),
      onProgress: (p) => this.s.events.emit('pacs.retrieveProgress', p),
    });
    this.job = job;
    audit(this.s.catalog, { actor: 'pacs', action: 'pacs.retrieve.start', entity: 'retrieve', entityId: jobId, detail: { studies: studyUids.length, server } });
    const done = job.done.then((summary) => {
      this.job = null;
      this.lastRetrieve = summary;
      audit(this.s.catalog, {
        actor: 'pacs',
        action: `pacs.retrieve.${summary.status}`,
        entity: 'retrieve',
        entityId: jobId,
        detail: { listed: summary.listed, retrieved: summary.retrieved, failures: summary.failures.length, imported: summary.import?.imported ?? 0 },
      });
      this.s.events.emit('pacs.retrieveDone', summary);
      return summary;
    });
    done.catch(() => (this.job = null));
    return { jobId, done };
  }

  cancelRetrieve(): boolean {
    if (!this.job) return false;
    this.job.cancel();
    return true;
  }

  retrieveStatus(): PacsRetrieveStatus {
    return { running: this.job !== null, progress: this.job?.status ?? null, last: this.lastRetrieve };
  }

  async send(req: { imageIds?: number[]; allReviewed?: boolean; via?: 'dicomweb' | 'dimse'; includeHeatmap?: boolean }, override?: Partial<DicomWebTarget> & { url: string }): Promise<PacsSendSummary> {
    const st = this.settings();
    const via = override ? 'dicomweb' : (req.via ?? st.sendVia);
    const ids = req.allReviewed ? reviewedImageIds(this.s.catalog) : (req.imageIds ?? []);
    const includeHeatmap = req.includeHeatmap ?? st.sendHeatmap;
    if (via === 'dicomweb') return sendResults(this.s, ids, { via, target: dicomWebTarget(st, this.vault, override) }, { includeHeatmap });
    if (!st.dimse) throw new CxrError('BAD_INPUT', 'no DIMSE peer is set up: add its AE title, host and port under Settings → PACS');
    return sendResults(this.s, ids, { via, localAet: st.localAet, peer: st.dimse, timeoutMs: 30_000 }, { includeHeatmap });
  }

  /** Starts, restarts or stops the receiver to match the settings. */
  async applyReceiverSettings(overrides: { aet?: string; port?: number; enabled?: boolean; allowedCallingAets?: string[] } = {}): Promise<void> {
    const st = this.settings();
    const enabled = overrides.enabled ?? st.receiver.enabled;
    const aet = overrides.aet ?? st.localAet;
    const port = overrides.port ?? st.receiver.port;
    const allowedCallingAets = overrides.allowedCallingAets ?? st.receiver.allowedCallingAets;
    const key = JSON.stringify([enabled, aet, port, allowedCallingAets]);
    if (key === this.receiverKey && (this.receiverInstance || !enabled)) return;
    await this.receiverInstance?.close();
    this.receiverInstance = null;
    this.receiverKey = key;
    this.receiverError = null;
    if (!enabled || this.closed) return;
    const receiver = new DicomReceiver({
      aet,
      port,
      allowedCallingAets,
      inboxDir: receivedDir(this.s.dataDir),
      log: (level, message) => this.s.events.emit('system.log', { level, message: `DICOM receiver: ${message}` }),
      onAssociationDone: (folder) => {
        this.importFolders([folder]).then(
          (summary) => {
            this.lastReceivedImport = summary;
            this.s.events.emit('pacs.received', this.receiverStatus());
          },
          (err) => this.s.events.emit('system.log', { level: 'error', message: `DICOM receiver: import failed: ${err instanceof Error ? err.message : String(err)}` }),
        );
      },
    });
    try {
      await receiver.start();
      this.receiverInstance = receiver;
      audit(this.s.catalog, { actor: 'pacs', action: 'pacs.receiver.start', entity: 'receiver', entityId: aet, detail: { port: receiver.port } });
    } catch (err) {
      this.receiverError = err instanceof Error ? err.message : String(err);
      this.receiverKey = '';
      throw err;
    }
  }

  /** Resolves once every import the receiver has queued so far is done (tests, the CLI). */
  async importsSettled(): Promise<void> {
    await this.importChain;
  }

  receiverStatus(): PacsReceiverStatus {
    const r = this.receiverInstance;
    return {
      listening: r !== null,
      aet: r?.aet ?? this.settings().localAet,
      port: r?.port ?? null,
      received: r?.received ?? 0,
      refusedAssociations: r?.refusedAssociations ?? 0,
      lastImport: this.lastReceivedImport,
      error: this.receiverError,
    };
  }

  get receiver(): DicomReceiver | null {
    return this.receiverInstance;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.receiverInstance?.close(), this.job?.close()]);
    this.receiverInstance = null;
  }
}
