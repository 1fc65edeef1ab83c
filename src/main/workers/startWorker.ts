import { Worker, type WorkerOptions } from 'node:worker_threads';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { builtWorkerFile, WORKERS, type WorkerName } from './registry';

const here = path.dirname(fileURLToPath(import.meta.url));
const fromSource = fileURLToPath(import.meta.url).endsWith('.ts');

/**
 * Starts a TypeScript worker file from source (vitest, tsx): workers do not inherit the parent's
 * loaders, so tsx is registered inside the worker before the file loads.
 */
export function startSourceWorker(file: string, opts: WorkerOptions = {}): Worker {
  const url = pathToFileURL(file).href;
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); })`;
  return new Worker(boot, { ...opts, eval: true });
}

/**
 * Starts a registered worker, from source (`src/main/<path>.ts`) or from the electron-vite build
 * (`<name>.worker.js` beside the main bundle; shared chunks sit one level down in chunks/).
 */
export function startWorker(name: WorkerName, opts: WorkerOptions = {}): Worker {
  if (fromSource) return startSourceWorker(path.resolve(here, '..', WORKERS[name]), opts);
  const outMain = path.basename(here) === 'chunks' ? path.dirname(here) : here;
  return new Worker(path.join(outMain, builtWorkerFile(name)), opts);
}
