import type { Sample } from '../datasets/dataset';
import type { TrainEvent } from './trainModel';
import type { TrainRecipe } from './recipe';
import type { Comparison, TrainingPhase } from '../../shared/training';

/** What main hands the training worker. Plain data: it crosses the thread boundary by cloning. */
export interface TrainingWorkerInput {
  runId: number;
  train: Sample[];
  val: Sample[];
  test: Sample[];
  recipe: TrainRecipe;
  /** Parent weights to fine-tune from; null trains from scratch. */
  initFrom: string | null;
  /** The active model, compared against on the test split; null when there is none. */
  baseline: { id: string | null; dir: string } | null;
  /** Everything the run writes lives here until main renames the finished model out. */
  stagingDir: string;
  sensitivity: number;
  name: string;
  version: string;
  risks: string[];
  /** Stored in the card under `localTraining` (run id, data counts, the UI's config). */
  cardExtras: Record<string, unknown>;
}

export type TrainingWorkerMessage =
  | { type: 'backend'; name: string; gpu: string | null }
  | { type: 'event'; event: TrainEvent }
  | { type: 'phase'; phase: TrainingPhase }
  | { type: 'result'; status: 'cancelled' }
  | { type: 'result'; status: 'completed'; modelDir: string; modelId: string; comparison: Comparison }
  | { type: 'error'; message: string; stack?: string };
