import path from 'node:path';
import os from 'node:os';
import { EventEmitter } from 'node:events';
import * as tf from '@tensorflow/tfjs';
import { openCatalog, type Catalog } from '../catalog/openCatalog';
import { initBackend, type BackendReport } from '../tfjs/backend';
import type { EventMap, EventName } from '../../shared/contract';
import pkg from '../../../package.json';
import { ServiceRegistry, type LongLived, type ServiceRegistration } from './serviceRegistry';
import { ImportJobs } from '../import/importJob';
import { InferenceHost } from '../inference/inferenceHost';
import { PredictionJobs } from '../inference/predictJob';
import { RepredictService } from '../inference/repredict';
import { TrainingService } from '../training/trainingService';
import { PacsService } from '../pacs/pacsService';
import type { SecretStore } from '../pacs/pacsSettings';
import { ensurePrivateDir } from './privateFiles';

/**
 * Every long-lived service, in one place: each declares its name on `Services` and how it is made
 * (`REGISTRATION`), is made on first use, and is closed by `Services.close()`.
 */
const REGISTRATIONS = [
  ImportJobs.REGISTRATION,
  InferenceHost.REGISTRATION,
  PredictionJobs.REGISTRATION,
  RepredictService.REGISTRATION,
  TrainingService.REGISTRATION,
  PacsService.REGISTRATION,
] as const;

type Registered = (typeof REGISTRATIONS)[number];
/** `services.imports`, `services.training`, …: one property per registration. */
export type LongLivedServices = { readonly [R in Registered as R['name']]: ReturnType<R['create']> };

export interface ServicesOptions {
  /** Where the catalog, renderings and trained models live. */
  dataDir: string;
  /** Set by the Electron main process; null under plain Node (CLI, tests, browser harness). */
  electronVersion?: string | null;
  /**
   * Asks the user for a folder (Electron's dialog in the app; a stand-in in the browser harness).
   * A chosen folder is added to `importRoots`.
   */
  chooseFolder?: () => Promise<string | null>;
  /** Asks the user where to save a file (Electron's save dialog; a stand-in in the harness). */
  chooseSaveFile?: (opts: { defaultName: string; filters: { name: string; extensions: string[] }[] }) => Promise<string | null>;
  /** PACS: Electron's safeStorage in the app; absent elsewhere, where PACS secrets stay in memory. */
  secretStore?: SecretStore | null;
}

/** Typed main → renderer events. ipc.ts forwards them to windows; the harness to the page. */
export class EventBus {
  private readonly emitter = new EventEmitter();
  emit<E extends EventName>(event: E, payload: EventMap[E]): void {
    this.emitter.emit('event', event, payload);
  }
  subscribe(listener: <E extends EventName>(event: E, payload: EventMap[E]) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}

/** The plain-Node core shared by the Electron app, the CLI, the tests and the browser harness. */
export interface Services extends LongLivedServices {
  readonly appVersion: string;
  readonly dataDir: string;
  readonly catalogPath: string;
  readonly catalog: Catalog;
  readonly electronVersion: string | null;
  readonly events: EventBus;
  /** Folders the user chose in a dialog (or dropped): the only roots an import may read. */
  readonly importRoots: Set<string>;
  /** The folder dialog; null where none exists (CLI), where paths come from the command line. */
  readonly chooseFolder: (() => Promise<string | null>) | null;
  /** The save dialog; null where none exists (CLI). */
  readonly chooseSaveFile: NonNullable<ServicesOptions['chooseSaveFile']> | null;
  /** Where PACS secrets are kept encrypted (Electron's safeStorage); null: in memory only. */
  readonly secretStore: SecretStore | null;
  backend(): Promise<BackendReport>;
  /** Closes every long-lived service (ending its worker threads), newest first, then the catalog. */
  close(): Promise<void>;
}

export function defaultDataDir(): string {
  if (process.env.CXR_DATA_DIR) return path.resolve(process.env.CXR_DATA_DIR);
  const base =
    process.platform === 'win32'
      ? (process.env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming'))
      : process.platform === 'darwin'
        ? path.join(os.homedir(), 'Library', 'Application Support')
        : (process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'));
  return path.join(base, 'cxr-triage');
}

export function createServices(opts: ServicesOptions & { catalogPath?: string }): Services {
  const dataDir = path.resolve(opts.dataDir);
  // Owner-only, also when the folder already existed with loose modes (0755 from an older build).
  ensurePrivateDir(dataDir);
  const catalogPath = path.resolve(opts.catalogPath ?? path.join(dataDir, 'catalog.sqlite'));
  const catalog = openCatalog(catalogPath);
  const registry = new ServiceRegistry();
  let closed: Promise<void> | null = null;
  const services = {
    appVersion: pkg.version,
    dataDir,
    catalogPath,
    catalog,
    electronVersion: opts.electronVersion ?? null,
    events: new EventBus(),
    importRoots: new Set(),
    chooseFolder: opts.chooseFolder ?? null,
    chooseSaveFile: opts.chooseSaveFile ?? null,
    secretStore: opts.secretStore ?? null,
    backend: () => initBackend(),
    close: () =>
      (closed ??= registry.close().finally(() => {
        if (catalog.open) catalog.close();
      })),
  } as Omit<Services, keyof LongLivedServices> as Services;
  for (const reg of REGISTRATIONS) {
    Object.defineProperty(services, reg.name, { get: () => registry.get(services, reg as ServiceRegistration<string, LongLived>), enumerable: false });
  }
  return services;
}

export const tfjsVersion = (): string => tf.version_core;
