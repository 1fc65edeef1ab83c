import { Worker, type WorkerOptions } from 'node:worker_threads';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { builtWorkerFile, WORKER_RESOURCE_LIMITS, WORKERS, type WorkerName } from './registry';

const here = path.dirname(fileURLToPath(import.meta.url));
const fromSource = fileURLToPath(import.meta.url).endsWith('.ts');

/** Workers this thread started that have not exited: services.close() must leave none. */
const live = new Map<Worker, string>();

function track(worker: Worker, name: string): Worker {
  live.set(worker, name);
  worker.once('exit', () => live.delete(worker));
  return worker;
}

/** The workers this thread started that are still running, by registry name (or file). */
export function liveWorkers(): string[] {
  return [...live.values()];
}

/**
 * Starts a TypeScript worker file from source (vitest, tsx): workers do not inherit the parent's
 * loaders, so tsx is registered inside the worker before the file loads.
 */
export function startSourceWorker(file: string, opts: WorkerOptions = {}): Worker {
  return track(sourceWorker(file, opts), path.basename(file));
}

function sourceWorker(file: string, opts: WorkerOptions): Worker {
  const url = pathToFileURL(file).href;
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); })`;
  return new Worker(boot, { ...opts, eval: true });
}

/**
 * Starts a registered worker, from source (`src/main/<path>.ts`) or from the electron-vite build
 * (`<name>.worker.js` beside the main bundle; shared chunks sit one level down in chunks/), under
 * its heap limits from the registry unless `opts` gives others.
 */
export function startWorker(name: WorkerName, given: WorkerOptions = {}): Worker {
  const limits = (WORKER_RESOURCE_LIMITS as Partial<Record<WorkerName, WorkerOptions['resourceLimits']>>)[name];
  const opts: WorkerOptions = limits && !given.resourceLimits ? { ...given, resourceLimits: limits } : given;
  if (fromSource) return track(sourceWorker(path.resolve(here, '..', WORKERS[name]), opts), name);
  const outMain = path.basename(here) === 'chunks' ? path.dirname(here) : here;
  return track(new Worker(path.join(outMain, builtWorkerFile(name)), opts), name);
}
