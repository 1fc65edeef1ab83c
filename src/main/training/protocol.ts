/**
 * The one message protocol of the training worker (training.worker.ts), for `cxr train` and the
 * app's retraining alike. Plain data: everything crosses the thread boundary by cloning.
 */
import type { Sample } from '../datasets/dataset';
import type { Comparison, TrainingPhase } from '../../shared/training';
import type { TrainEvent, TrainInput, TrainOptions, TrainResult } from './trainModel';

/** The app's steps after training: calibrate on val, set the COVID-19 threshold, compare on test. */
export interface FinishSteps {
  /** Sensitivity the COVID-19 operating threshold is set for on val. */
  sensitivity: number;
  /** The local test split both models are scored on; empty skips the comparison. */
  test: Sample[];
  /** The active model, compared against; null when there is none. */
  baseline: { id: string | null; dir: string } | null;
  /** Stored in the card under `localTraining` (run id, data counts, the UI's config). */
  cardExtras: Record<string, unknown>;
}

export interface TrainingRequest {
  input: TrainInput;
  options: TrainOptions;
  finish?: FinishSteps;
}

export type TrainingMessage =
  | { type: 'backend'; name: string; gpu: string | null }
  | { type: 'event'; event: TrainEvent }
  | { type: 'phase'; phase: TrainingPhase }
  | { type: 'result'; result: TrainResult; comparison: Comparison | null }
  | { type: 'error'; message: string; stack?: string };

/** What the caller may send the worker: stop after the current batch (or step). */
export const CANCEL = 'cancel';
