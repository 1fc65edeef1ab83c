import { startWorker } from '../workers/startWorker';
import type { TrainEvent, TrainInput, TrainOptions, TrainResult } from './trainModel';
import type { TrainWorkerMessage } from './trainWorker';

export interface TrainJob {
  /** Settles when the worker finishes: completed, cancelled, or rejected with the worker's error. */
  result: Promise<TrainResult>;
  /** Stops after the current batch; the last epoch checkpoint stays for `resume`. */
  cancel(): void;
}

/** Runs `trainModel` in a worker thread so the caller's event loop (Electron main, CLI) stays free. */
export function startTrainingJob(input: TrainInput, options: TrainOptions, onEvent: (e: TrainEvent) => void = () => {}): TrainJob {
  const worker = startWorker('cliTraining', { workerData: { input, options } });
  const result = new Promise<TrainResult>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: TrainWorkerMessage) => {
      if (m.type === 'event') onEvent(m.event);
      else if (m.type === 'result') {
        settled = true;
        resolve(m.result);
      } else {
        settled = true;
        const err = new Error(m.message);
        if (m.stack) err.stack = m.stack;
        reject(err);
      }
    });
    worker.on('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`model/trainJob.ts: training worker exited with code ${code} before a result`));
    });
  });
  return { result, cancel: () => worker.postMessage('cancel') };
}
