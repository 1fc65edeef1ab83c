import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { EventEmitter } from 'node:events';
import * as tf from '@tensorflow/tfjs';
import { openCatalog, type Catalog } from '../catalog/openCatalog';
import { initBackend, type BackendReport } from '../tfjs/backend';
import type { EventMap, EventName } from '../../shared/contract';
import pkg from '../../../package.json';
// PACS (issue 17): the receiver, retrieve jobs and secrets live on Services and end in close().
import { PacsService } from '../pacs/pacsService';
import type { SecretStore } from '../pacs/pacsSettings';

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
export interface Services {
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
  /** PACS (issue 17): connections, retrieve, the DICOM receiver, results sent back. */
  readonly pacs: PacsService;
  backend(): Promise<BackendReport>;
  close(): void;
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
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const catalogPath = path.resolve(opts.catalogPath ?? path.join(dataDir, 'catalog.sqlite'));
  const catalog = openCatalog(catalogPath);
  let pacs: PacsService | undefined;
  const services: Services = {
    appVersion: pkg.version,
    dataDir,
    catalogPath,
    catalog,
    electronVersion: opts.electronVersion ?? null,
    events: new EventBus(),
    importRoots: new Set(),
    chooseFolder: opts.chooseFolder ?? null,
    chooseSaveFile: opts.chooseSaveFile ?? null,
    backend: () => initBackend(),
    get pacs() {
      return (pacs ??= new PacsService(services, opts.secretStore ?? null));
    },
    // PACS first: its receiver and jobs stop (sockets closed) before the catalog they write to.
    close: () => {
      void pacs?.close();
      catalog.close();
    },
  };
  return services;
}

export const tfjsVersion = (): string => tf.version_core;
