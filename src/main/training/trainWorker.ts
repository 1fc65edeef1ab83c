import { parentPort, workerData } from 'node:worker_threads';
import { trainModel, type TrainInput, type TrainOptions } from './trainModel';

/** Worker entry: trains with workerData {input, options}; 'cancel' stops at the next batch. */
export type TrainWorkerMessage =
  | { type: 'event'; event: import('./trainModel').TrainEvent }
  | { type: 'result'; result: import('./trainModel').TrainResult }
  | { type: 'error'; message: string; stack?: string };

const port = parentPort;
if (!port) throw new Error('model/trainWorker.ts: must run as a worker thread');
let cancel = false;
port.on('message', (m: unknown) => {
  if (m === 'cancel') cancel = true;
});
const { input, options } = workerData as { input: TrainInput; options: TrainOptions };
trainModel(input, options, {
  onEvent: (event) => port.postMessage({ type: 'event', event } satisfies TrainWorkerMessage),
  isCancelled: () => cancel,
})
  .then((result) => port.postMessage({ type: 'result', result } satisfies TrainWorkerMessage))
  .catch((err: unknown) =>
    port.postMessage({
      type: 'error',
      message: err instanceof Error ? err.message : String(err),
      stack: err instanceof Error ? err.stack : undefined,
    } satisfies TrainWorkerMessage),
  )
  .finally(() => port.close());
