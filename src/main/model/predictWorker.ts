/**
 * Worker-thread entry for catalog prediction: its own tfjs backend, model and read-only catalog
 * connection, so inference never runs on the main process's event loop. Main writes the rows.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openCatalog } from '../catalog/openCatalog';
import { initBackend } from './backend';
import { loadModel } from './registry';
import { Predictor } from './predictImages';
import { predictCatalogImages, type RunItem } from './predictRun';

export interface PredictWorkerRequest {
  catalogPath: string;
  dataDir: string;
  modelDir: string;
  imageIds: number[];
  nSamples?: number;
}

export type PredictWorkerMessage =
  | { type: 'batch'; items: RunItem[] }
  | { type: 'done'; cancelled: boolean }
  | { type: 'failed'; message: string };

const req = workerData as PredictWorkerRequest;
let cancelled = false;
parentPort!.on('message', (m: { type: string }) => {
  if (m.type === 'cancel') cancelled = true;
});
const post = (m: PredictWorkerMessage) => parentPort!.postMessage(m);

(async () => {
  await initBackend();
  const catalog = openCatalog(req.catalogPath, { readonly: true });
  try {
    const { model, card } = await loadModel(req.modelDir);
    const predictor = new Predictor(model, card, { nSamples: req.nSamples });
    const r = await predictCatalogImages({ catalog, dataDir: req.dataDir }, predictor, req.imageIds, {
      onBatch: (items) => post({ type: 'batch', items }),
      cancelled: () => cancelled,
    });
    post({ type: 'done', cancelled: r.cancelled });
  } finally {
    catalog.close();
  }
})().catch((err: unknown) => post({ type: 'failed', message: err instanceof Error ? err.message : String(err) }));
