import { startWorker } from '../workers/startWorker';
import type { Comparison } from '../../shared/training';
import { CANCEL, type TrainingMessage, type TrainingRequest } from './protocol';
import type { TrainResult } from './trainModel';

export interface TrainingJob {
  /** Settles when the worker finishes: completed, cancelled, or rejected with the worker's error. */
  result: Promise<{ result: TrainResult; comparison: Comparison | null }>;
  /** Stops after the current batch; the last epoch checkpoint stays for `resume`. */
  cancel(): void;
  /** Ends the worker at once, as a crash would (app quit); `result` then rejects. */
  terminate(): Promise<void>;
}

export class TrainingJobError extends Error {
  override name = 'TrainingJobError';
}

/**
 * Runs a training request in the training worker, so the caller's event loop (Electron main, the
 * CLI) stays free. Every message but the result goes to `onMessage` (progress, phases, backend).
 */
export function startTrainingJob(request: TrainingRequest, onMessage: (m: Exclude<TrainingMessage, { type: 'result' | 'error' }>) => void = () => {}): TrainingJob {
  const worker = startWorker('training', { workerData: request });
  const result = new Promise<{ result: TrainResult; comparison: Comparison | null }>((resolve, reject) => {
    let settled = false;
    const settle = (f: () => void) => {
      if (!settled) f();
      settled = true;
    };
    worker.on('message', (m: TrainingMessage) => {
      if (m.type === 'result') settle(() => resolve({ result: m.result, comparison: m.comparison }));
      else if (m.type === 'error') {
        const err = new TrainingJobError(m.message);
        if (m.stack) err.stack = m.stack;
        settle(() => reject(err));
      } else onMessage(m);
    });
    worker.on('error', (err) => settle(() => reject(err)));
    worker.on('exit', (code) => settle(() => reject(new TrainingJobError(`the training worker stopped (exit code ${code}) before it finished`))));
  });
  return {
    result,
    cancel: () => worker.postMessage(CANCEL),
    terminate: async () => {
      await worker.terminate();
    },
  };
}
