import { Worker, type WorkerOptions } from 'node:worker_threads';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Starts a worker thread from a sibling entry file, both from source (vitest, tsx: `name.ts`
 * through the tsx loader) and from the electron-vite build (`name.js` beside the main bundle, listed
 * as a main entry in electron.vite.config.ts).
 *
 * `callerUrl` is the caller's `import.meta.url`; `name` the worker file without extension.
 */
export function startWorker(callerUrl: string, relative: string, opts: WorkerOptions = {}): Worker {
  const callerFile = fileURLToPath(callerUrl);
  const fromSource = callerFile.endsWith('.ts');
  if (fromSource) {
    // Workers do not inherit the parent's loaders: register tsx inside the worker, then load it.
    const url = pathToFileURL(path.resolve(path.dirname(callerFile), `${relative}.ts`)).href;
    const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); })`;
    return new Worker(boot, { ...opts, eval: true });
  }
  // Built: every worker entry is emitted flat beside the main bundle as <basename>.js.
  const file = path.resolve(path.dirname(callerFile), `${path.basename(relative)}.js`);
  return new Worker(file, opts);
}
