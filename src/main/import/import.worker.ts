import { parentPort, workerData } from 'node:worker_threads';
import { openCatalog } from '../catalog/openCatalog';
import { runImport } from './importRun';
import type { ImportJobRequest, ImportWorkerMessage } from './importJob';

/**
 * The import worker thread: its own catalog connection (WAL lets the main thread keep reading),
 * progress and the summary posted back, cancel checked between files.
 */
const req = workerData as ImportJobRequest;
let cancelled = false;
const post = (m: ImportWorkerMessage) => parentPort!.postMessage(m);

parentPort!.on('message', (m: { type: string }) => {
  if (m.type === 'cancel') cancelled = true;
});

const db = openCatalog(req.catalogPath);
runImport(
  { db, dataDir: req.dataDir, roots: req.roots, labelsFromFolders: req.labelsFromFolders },
  {
    onStarted: (importId) => post({ type: 'started', importId }),
    onProgress: (progress) => post({ type: 'progress', progress }),
    isCancelled: () => cancelled,
  },
)
  .then((summary) => post({ type: 'done', summary }))
  .catch((err: unknown) => post({ type: 'failed', message: err instanceof Error ? err.message : String(err) }))
  .finally(() => {
    db.close();
    parentPort!.close();
  });
