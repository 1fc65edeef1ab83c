/**
 * The training worker, for `cxr train` and the app alike: trains (trainModel.ts) and, for the
 * app's retraining, calibrates on local val, derives the COVID-19 threshold and scores the new and
 * the active model on the local test split (finish.ts). Everything tensor-heavy happens here, so
 * the caller only relays progress and registers the finished folder.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../tfjs/backend';
import { gpuName } from '../tfjs/webgpuAdapter';
import { trainModel } from './trainModel';
import { finishLocalTraining } from './finish';
import { CANCEL, type TrainingMessage, type TrainingRequest } from './protocol';

if (!parentPort) throw new Error('the training worker must run as a worker thread');
const port = parentPort;
const post = (m: TrainingMessage): void => port.postMessage(m);
let cancelled = false;
port.on('message', (m: unknown) => {
  if (m === CANCEL) cancelled = true;
});

async function run(req: TrainingRequest): Promise<void> {
  const backend = await initBackend();
  post({ type: 'backend', name: backend.name, gpu: backend.gpu ? gpuName(backend.gpu) : null });
  const result = await trainModel(req.input, req.options, { onEvent: (event) => post({ type: 'event', event }), isCancelled: () => cancelled });
  if (result.status === 'cancelled' || !req.finish || !result.outDir) {
    post({ type: 'result', result, comparison: null });
    return;
  }
  const finished = await finishLocalTraining(result.outDir, req.input.val, req.finish, {
    phase: (phase) => post({ type: 'phase', phase }),
    isCancelled: () => cancelled,
  });
  if (!finished) post({ type: 'result', result: { ...result, status: 'cancelled', outDir: null, card: null }, comparison: null });
  else post({ type: 'result', result: { ...result, card: finished.card }, comparison: finished.comparison });
}

run(workerData as TrainingRequest)
  .catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined }))
  .finally(() => port.close());
