import type { ArchitectureName } from '../models/architectures';
import type { AugmentOptions } from './augment';

/** The training recipe; the paper's values are the defaults (PAPER.md), except where noted. */
export interface TrainRecipe {
  architecture: ArchitectureName;
  epochs: number;
  batchSize: number;
  seed: number;
  /** [first epoch, learning rate] stages, ascending: the paper's warm-up/plateau/decay steps. */
  lrSchedule: [number, number][];
  /** 'inverse' = N / (K · n_class) on the training set (default); 'paper' = {COVID19 10, NORMAL 3, PNEUMONIA 1}. */
  classWeights: 'inverse' | 'paper' | 'none';
  labelSmoothing: number;
  augment: AugmentOptions;
  /** Optional cap on training images per epoch (tests, quick checks): a seeded stratified-ish subsample. */
  maxTrainImages?: number;
}

export const PAPER_CLASS_WEIGHTS = [10, 3, 1];

export function paperRecipe(architecture: ArchitectureName, overrides: Partial<TrainRecipe> = {}): TrainRecipe {
  return {
    architecture,
    epochs: 12,
    batchSize: 32,
    seed: 1,
    lrSchedule: [
      [0, 4e-4],
      [3, 2e-4],
      [6, 1e-4],
    ],
    classWeights: 'inverse',
    labelSmoothing: 0.12,
    augment: { flip: true, brightness: 0.1, contrast: [0.1, 0.2], resize: 96, crop: 80 },
    ...overrides,
  };
}

export function learningRateAt(recipe: TrainRecipe, epoch: number): number {
  let lr = recipe.lrSchedule[0]?.[1] ?? 1e-4;
  for (const [from, rate] of recipe.lrSchedule) if (epoch >= from) lr = rate;
  return lr;
}
