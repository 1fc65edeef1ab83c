import type { ArchitectureName } from '../models/architectures';
import type { AugmentOptions } from './augment';
import { CHEST_AUGMENT } from './chestAugment';
import type { Sampling } from './sampler';
import { ARCHITECTURES } from '../models/architectures';

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
  /** Which images an epoch visits (sampler.ts); absent: every image once (the paper). */
  sampling?: Sampling;
  /** Cosine decay from `max` to `min` after `warmupEpochs` of linear warm-up, per batch; replaces lrSchedule. */
  lrCosine?: { max: number; min: number; warmupEpochs: number };
  /**
   * How the best epoch is chosen on val: 'macro-f1' over all val images (the paper's), or
   * 'worst-source': the lowest balanced accuracy (mean recall of the classes present) of any val
   * source, so a model that fails adult films is not picked for its pediatric scores; 'last': the
   * final epoch (a fine-tuning stage at a low rate, where a 72-film val source's balanced accuracy
   * moves by more between epochs than the model does: its score is still the worst source's).
   */
  selectBy?: 'macro-f1' | 'worst-source' | 'last';
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

/**
 * The default model's recipe: balanced epochs over (class, source), the shortcut-breaking
 * augmentation on a cache at 1.25× the input side, Adam with warm-up and cosine decay, and the
 * best epoch by its worst val source.
 */
export function chestRecipe(architecture: ArchitectureName, overrides: Partial<TrainRecipe> = {}): TrainRecipe {
  const crop = ARCHITECTURES[architecture].inputSize;
  return {
    architecture,
    epochs: 14,
    batchSize: 32,
    seed: 1,
    lrSchedule: [[0, 1e-3]],
    lrCosine: { max: 1e-3, min: 2e-5, warmupEpochs: 1 },
    classWeights: 'none',
    labelSmoothing: 0.1,
    augment: { ...CHEST_AUGMENT, resize: Math.round(crop * 1.25), crop },
    sampling: { kind: 'balanced', epochSize: 6000, sourcePower: 0 },
    selectBy: 'worst-source',
    ...overrides,
  };
}

/** The learning rate at a (fractional) epoch. */
export function learningRateAt(recipe: TrainRecipe, epoch: number): number {
  const c = recipe.lrCosine;
  if (c) {
    if (epoch < c.warmupEpochs) return c.max * Math.max(0.05, epoch / c.warmupEpochs);
    const t = Math.min(1, (epoch - c.warmupEpochs) / Math.max(1e-9, recipe.epochs - c.warmupEpochs));
    return c.min + 0.5 * (c.max - c.min) * (1 + Math.cos(Math.PI * t));
  }
  let lr = recipe.lrSchedule[0]?.[1] ?? 1e-4;
  for (const [from, rate] of recipe.lrSchedule) if (epoch >= from) lr = rate;
  return lr;
}
