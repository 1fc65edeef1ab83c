/**
 * The long-lived inference worker thread: its own tfjs backend, a read-only catalog connection
 * and the last model it was asked for, so predictions and Grad-CAM heatmaps never run on the main
 * process's event loop and a heatmap click does not reload the model. Main writes the rows.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openCatalog } from '../catalog/openCatalog';
import { readRendering } from '../renderings/renderingStore';
import { renderingHashOf } from '../catalog/images';
import { initBackend } from '../tfjs/backend';
import { loadModel } from '../models/registry';
import { Predictor } from './predictor';
import { ModelCache } from './modelCache';
import { predictCatalogImages } from './predictRun';
import type { InferenceReply, InferenceRequest } from './protocol';

const { catalogPath, dataDir } = workerData as { catalogPath: string; dataDir: string };
const port = parentPort!;
const post = (m: InferenceReply) => port.postMessage(m);
const catalog = openCatalog(catalogPath, { readonly: true });
const cancelled = new Set<number>();
const models = new ModelCache<Predictor>(
  async (dir) => {
    await initBackend();
    const { model, card } = await loadModel(dir);
    return new Predictor(model, card);
  },
  (predictor) => {
    predictor.dispose();
    predictor.model.dispose();
  },
);
const predictorFor = (dir: string) => models.get(dir);

// Requests run one after another: tfjs in one thread is one queue anyway.
let queue: Promise<void> = Promise.resolve();

async function handle(m: InferenceRequest): Promise<void> {
  try {
    if (m.type === 'predict') {
      const predictor = await predictorFor(m.modelDir);
      const r = await predictCatalogImages({ catalog, dataDir }, predictor, m.imageIds, {
        onBatch: (items) => post({ type: 'batch', id: m.id, items }),
        cancelled: () => cancelled.has(m.id),
        nSamples: m.nSamples,
      });
      cancelled.delete(m.id);
      post({ type: 'done', id: m.id, cancelled: r.cancelled });
    } else if (m.type === 'backend') {
      const b = await initBackend();
      post({ type: 'backend', id: m.id, name: b.name, threads: b.threads });
    } else if (m.type === 'heatmap') {
      const predictor = await predictorFor(m.modelDir);
      const { heatmap, classIndex } = await predictor.heatmap(await predictor.input(await readRendering(dataDir, renderingHashOf(catalog, m.imageId))));
      port.postMessage({ type: 'heatmap', id: m.id, data: heatmap.data, shape: heatmap.shape, layer: heatmap.layer, classIndex } satisfies InferenceReply, [heatmap.data.buffer as ArrayBuffer]);
    }
  } catch (err) {
    post({ type: 'failed', id: m.id, message: err instanceof Error ? err.message : String(err) });
  }
}

port.on('message', (m: InferenceRequest) => {
  // A cancel must not wait behind the run it cancels.
  if (m.type === 'cancel') cancelled.add(m.target);
  else queue = queue.then(() => handle(m));
});
