/**
 * Worker entry: predicts a list of catalogued images with one model through the confidence
 * issue's Predictor (calibrated probabilities, band, conformal set, quality flags) and posts the
 * rows back in batches; main writes them. Tensor work never runs on main's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../model/backend';
import { loadModel } from '../model/registry';
import { Predictor } from '../model/predictImages';
import { preprocess } from '../model/preprocess';
import type { RepredictItem, RepredictWorkerMessage } from './repredictProtocol';

if (!parentPort) throw new Error('training/repredictWorker.ts: must run as a worker thread');
const port = parentPort;
let cancelled = false;
port.on('message', (m: unknown) => {
  if (m === 'cancel') cancelled = true;
});
const { modelDir, items, batchSize } = workerData as { modelDir: string; items: RepredictItem[]; batchSize: number };

async function run(): Promise<void> {
  await initBackend();
  const { model, card } = await loadModel(modelDir);
  const predictor = new Predictor(model, card);
  for (let start = 0; start < items.length; start += batchSize) {
    if (cancelled) return port.postMessage({ type: 'done', status: 'cancelled' } satisfies RepredictWorkerMessage);
    const batch = items.slice(start, start + batchSize);
    const inputs: Float32Array[] = [];
    const ok: RepredictItem[] = [];
    const failed: { imageId: number; reason: string }[] = [];
    for (const it of batch) {
      try {
        inputs.push(await preprocess(it.file, predictor.spec));
        ok.push(it);
      } catch (err) {
        failed.push({ imageId: it.imageId, reason: err instanceof Error ? err.message : String(err) });
      }
    }
    const preds = ok.length ? await predictor.predict(inputs, ok.map((i) => i.quality)) : [];
    port.postMessage({
      type: 'batch',
      rows: preds.map((p, i) => ({ imageId: ok[i]!.imageId, prediction: p })),
      failed,
    } satisfies RepredictWorkerMessage);
  }
  model.dispose();
  port.postMessage({ type: 'done', status: 'completed' } satisfies RepredictWorkerMessage);
}

run()
  .catch((err: unknown) => port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) } satisfies RepredictWorkerMessage))
  .finally(() => port.close());
