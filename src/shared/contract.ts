/**
 * The IPC contract: every operation's channel, request schema and response type, and every event.
 * Main validates requests with these schemas; the preload builds `window.cxr` from `operations`;
 * the renderer is typed from `CxrApi`. A changed shape fails the type check in all three.
 */
import type { z } from 'zod';
import type { IpcResult } from './errors';
import { systemRequests, type SystemInfo } from './system';
import { worklistRequests, type WorklistCounts, type WorklistPage } from './worklist';
import { imageRequests, type ImageDetail, type ImagePixels, type PredictionDetail } from './image';
import { reviewRequests, type ReviewRecord } from './review';
import { exportRequests, type CsvExport, type CsvExportProgress } from './export';
import { settingsRequests, type AppSettings } from './settings';
import { trainingRequests, type DatasetSummary, type TrainingDone, type TrainingProgress, type TrainingRunRecord, type TrainingStatus } from './training';
import { modelsRequests, type ActivationResult, type ModelDetail, type ModelVersion, type RepredictProgress } from './models';
import { predictRequests, type HeatmapTensor, type PredictProgress, type PredictSummary } from './predict';
import { importRequests, type ImportProgress, type ImportStatus, type ImportSummary } from './import';
import { pacsRequests, type PacsConnectionTest, type PacsReceiverStatus, type PacsRetrieveProgress, type PacsRetrieveStatus, type PacsRetrieveSummary, type PacsSendRecord, type PacsSendSummary, type PacsSettingsView, type PacsStudy } from './pacs';

/** An operation: its request schema, and its response type carried as a phantom. */
export interface Operation<Req extends z.ZodType, Res> {
  request: Req;
  /** Type-only: never read at run time. */
  response?: Res;
}

function op<Res>() {
  return <Req extends z.ZodType>(request: Req): Operation<Req, Res> => ({ request });
}

export const operations = {
  system: {
    info: op<SystemInfo>()(systemRequests.info),
    ping: op<{ t: number; serverTime: number }>()(systemRequests.ping),
  },
  worklist: {
    query: op<WorklistPage>()(worklistRequests.query),
    counts: op<WorklistCounts>()(worklistRequests.counts),
  },
  image: {
    get: op<ImagePixels>()(imageRequests.get),
    thumbnail: op<ImagePixels>()(imageRequests.thumbnail),
    detail: op<ImageDetail>()(imageRequests.detail),
  },
  review: {
    submit: op<ReviewRecord>()(reviewRequests.submit),
    history: op<ReviewRecord[]>()(reviewRequests.history),
  },
  export: {
    csv: op<CsvExport>()(exportRequests.csv),
    cancel: op<{ cancelled: boolean }>()(exportRequests.cancel),
  },
  settings: {
    get: op<AppSettings>()(settingsRequests.get),
    set: op<AppSettings>()(settingsRequests.set),
  },
  training: {
    dataset: op<DatasetSummary>()(trainingRequests.dataset),
    chooseFolder: op<{ folder: string | null }>()(trainingRequests.chooseFolder),
    start: op<{ runId: number }>()(trainingRequests.start),
    cancel: op<{ cancelled: boolean }>()(trainingRequests.cancel),
    status: op<TrainingStatus>()(trainingRequests.status),
    runs: op<TrainingRunRecord[]>()(trainingRequests.runs),
  },
  models: {
    list: op<ModelVersion[]>()(modelsRequests.list),
    detail: op<ModelDetail>()(modelsRequests.detail),
    activate: op<ActivationResult>()(modelsRequests.activate),
    rollback: op<ActivationResult>()(modelsRequests.rollback),
    repredictStatus: op<RepredictProgress | null>()(modelsRequests.repredictStatus),
  },
  predict: {
    /** Predicts catalog images with the active model (calibrated probs, band, conformal set, quality). */
    images: op<PredictSummary>()(predictRequests.images),
    cancel: op<{ cancelled: boolean }>()(predictRequests.cancel),
    get: op<PredictionDetail | null>()(predictRequests.get),
    /** Grad-CAM of the predicted class: a Float32Array with its shape. */
    heatmap: op<HeatmapTensor>()(predictRequests.heatmap),
  },
  import: {
    /** Opens the folder dialog; a chosen folder becomes an allowed import root. */
    chooseFolder: op<{ folder: string | null }>()(importRequests.chooseFolder),
    start: op<{ importId: number }>()(importRequests.start),
    cancel: op<{ cancelled: boolean }>()(importRequests.cancel),
    status: op<ImportStatus>()(importRequests.status),
  },
  /** The hospital PACS: connections, query/retrieve over DICOMweb, the receiver, results sent back as SRs. */
  pacs: {
    getSettings: op<PacsSettingsView>()(pacsRequests.getSettings),
    setSettings: op<PacsSettingsView>()(pacsRequests.setSettings),
    testConnection: op<PacsConnectionTest>()(pacsRequests.testConnection),
    query: op<{ studies: PacsStudy[] }>()(pacsRequests.query),
    retrieve: op<{ jobId: number }>()(pacsRequests.retrieve),
    cancelRetrieve: op<{ cancelled: boolean }>()(pacsRequests.cancelRetrieve),
    retrieveStatus: op<PacsRetrieveStatus>()(pacsRequests.retrieveStatus),
    sendResults: op<PacsSendSummary>()(pacsRequests.sendResults),
    sendHistory: op<PacsSendRecord[]>()(pacsRequests.sendHistory),
    receiverStatus: op<PacsReceiverStatus>()(pacsRequests.receiverStatus),
  },
} as const;

/** Events pushed from main to the renderer, by name. */
export interface EventMap {
  'system.log': { level: 'info' | 'warn' | 'error'; message: string };
  /** A review was stored: the worklist and review queue refresh their counts. */
  'review.changed': { imageId: number; label: string };
  /** A training run's phase, batch or epoch (worker → main → renderer). */
  'training.progress': TrainingProgress;
  /** A training run ended: completed (with the comparison), failed or cancelled. */
  'training.done': TrainingDone;
  /** Re-predicting the catalog after an activation. */
  'models.repredictProgress': RepredictProgress;
  /** The active model changed. */
  'models.changed': { activeId: string | null };
  /** Catalog prediction progress. */
  'predict.progress': PredictProgress;
  'import.progress': ImportProgress;
  /** A CSV export's rows written so far. */
  'export.progress': CsvExportProgress;
  'import.done': ImportSummary;
  'pacs.retrieveProgress': PacsRetrieveProgress;
  'pacs.retrieveDone': PacsRetrieveSummary;
  /** The receiver imported an association's instances. */
  'pacs.received': PacsReceiverStatus;
}
export type EventName = keyof EventMap;
export const EVENT_NAMES: readonly EventName[] = ['system.log', 'review.changed', 'training.progress', 'training.done', 'models.repredictProgress', 'models.changed', 'predict.progress', 'import.progress', 'export.progress', 'import.done', 'pacs.retrieveProgress', 'pacs.retrieveDone', 'pacs.received'];

type Ops = typeof operations;
export type Group = keyof Ops;
export type OpName<G extends Group> = keyof Ops[G] & string;
export type Channel = { [G in Group]: `${G}.${OpName<G>}` }[Group];

type ReqOf<O> = O extends Operation<infer Req, unknown> ? z.input<Req> : never;
type ResOf<O> = O extends Operation<z.ZodType, infer Res> ? Res : never;

/** What `window.cxr` looks like: one async function per operation, plus typed event subscription. */
export type CxrApi = {
  [G in Group]: {
    [N in OpName<G>]: Record<string, never> extends ReqOf<Ops[G][N]>
      ? (req?: ReqOf<Ops[G][N]>) => Promise<ResOf<Ops[G][N]>>
      : (req: ReqOf<Ops[G][N]>) => Promise<ResOf<Ops[G][N]>>;
  };
} & {
  /** Subscribes to an event; returns the function that unsubscribes. */
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void;
};

export type RequestOf<C extends Channel> = C extends `${infer G}.${infer N}`
  ? G extends Group
    ? N extends OpName<G>
      ? Ops[G][N] extends Operation<infer Req, unknown>
        ? z.output<Req>
        : never
      : never
    : never
  : never;
export type ResponseOf<C extends Channel> = C extends `${infer G}.${infer N}`
  ? G extends Group
    ? N extends OpName<G>
      ? ResOf<Ops[G][N]>
      : never
    : never
  : never;

/** Every channel, derived from `operations`. */
export const CHANNELS: readonly Channel[] = Object.entries(operations).flatMap(([g, ops]) =>
  Object.keys(ops).map((n) => `${g}.${n}` as Channel),
);

/** The channel main uses to push events, and the envelope it sends. */
export const EVENT_CHANNEL = 'cxr:event';
export interface EventEnvelope<E extends EventName = EventName> {
  event: E;
  payload: EventMap[E];
}

export type { IpcResult };
