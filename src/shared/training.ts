import { z } from 'zod';
import type { Label } from './labels';

/** Architectures a user may train (names as stored in a model card). */
export const TRAINING_ARCHITECTURES = ['cxrResNet', 'zhongSlim', 'zhong2020'] as const;
export type TrainingArchitecture = (typeof TRAINING_ARCHITECTURES)[number];

/** Below this many images a class is too thin to train or judge on: the view warns. */
export const MIN_IMAGES_PER_CLASS = 20;

export const SPLITS = ['train', 'val', 'test'] as const;
export type SplitName = (typeof SPLITS)[number];

const folders = z.array(z.string().min(1).max(4096)).max(16);

/** The paper's warm-up / plateau / decay: three stages, each from an epoch on. */
const lrStage = z.object({ fromEpoch: z.number().int().min(0).max(1000), lr: z.number().positive().max(1) }).strict();

export const trainingConfig = z
  .object({
    architecture: z.enum(TRAINING_ARCHITECTURES).default('cxrResNet'),
    /** Fine-tune the active model's weights, or start from random weights. */
    start: z.enum(['fine-tune', 'scratch']).default('fine-tune'),
    epochs: z.number().int().min(1).max(200).default(12),
    batchSize: z.number().int().min(1).max(256).default(32),
    lrSchedule: z
      .array(lrStage)
      .length(3)
      .refine((s) => s[0]!.fromEpoch === 0 && s[0]!.fromEpoch < s[1]!.fromEpoch && s[1]!.fromEpoch < s[2]!.fromEpoch, {
        message: 'stages must start at epoch 0 and ascend',
      })
      .default([
        { fromEpoch: 0, lr: 4e-4 },
        { fromEpoch: 3, lr: 2e-4 },
        { fromEpoch: 6, lr: 1e-4 },
      ]),
    classWeights: z.enum(['inverse', 'paper', 'none']).default('inverse'),
    augment: z
      .object({ flip: z.boolean(), brightness: z.boolean(), contrast: z.boolean(), crop: z.boolean() })
      .strict()
      .default({ flip: true, brightness: true, contrast: true, crop: true }),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
    /** COVID-19 sensitivity the new operating threshold must reach on local val. */
    sensitivity: z.number().min(0.5).max(0.999).default(0.95),
    /** Labelled folders (`<CLASS>/**`) chosen in the dialog, added to the catalog's labels. */
    folders: folders.default([]),
  })
  .strict();
export type TrainingConfig = z.infer<typeof trainingConfig>;
export type TrainingConfigInput = z.input<typeof trainingConfig>;

export type ClassCounts = Record<Label, number>;

/** What the catalog (and any folders) give to train on, split by patient. */
export interface DatasetSummary {
  total: number;
  patients: number;
  /** Where labels came from: reviews (latest wins), folder-import reference labels, extra folders. */
  bySource: { review: number; reference: number; folder: number };
  perClass: ClassCounts;
  splits: Record<SplitName, { images: number; patients: number; perClass: ClassCounts }>;
  /** Plain-words problems: a class under MIN_IMAGES_PER_CLASS, a split missing a class. */
  warnings: string[];
  /** False when training cannot start (a class absent from train or val). */
  trainable: boolean;
  seed: number;
}

export type TrainingPhase = 'preparing' | 'caching' | 'training' | 'calibrating' | 'evaluating' | 'saving';

export interface BatchPoint {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  accuracy: number;
  imgPerS: number;
  etaS: number;
}

export interface EpochPoint {
  epoch: number;
  lr: number;
  loss: number;
  accuracy: number;
  valLoss: number;
  valAccuracy: number;
  valMacroF1: number;
  imgPerS: number;
  best: boolean;
}

export interface TrainingBackend {
  name: string;
  gpu: string | null;
  /** CPU backends training data-parallel (gradientPeer.ts); absent or 1: one. */
  workers?: number;
}

/** One `training.progress` event: the run's phase, plus the batch or epoch that just finished. */
export interface TrainingProgress {
  runId: number;
  phase: TrainingPhase;
  /** The tfjs backend the worker trains on, by name, and the GPU by name when one runs it. */
  backend: TrainingBackend | null;
  cache?: { done: number; total: number; split: string };
  batch?: BatchPoint;
  epoch?: EpochPoint;
}

export interface ClassScores {
  precision: number;
  recall: number;
  auc: number | null;
  support: number;
}

/** One model's figures on the local test split. */
export interface ModelScores {
  accuracy: number;
  perClass: Record<Label, ClassScores>;
  macroAuc: number | null;
  /** 15-bin ECE of the calibrated probabilities. */
  ece: number;
  /** rows: actual, columns: predicted, in LABELS order. */
  confusion: number[][];
  /** COVID-19 flagging at the model's own operating threshold. */
  covidFlag: { threshold: number; sensitivity: number; specificity: number };
}

export interface ComparedModel {
  role: 'new' | 'active';
  id: string | null;
  name: string;
  version: string;
  scores: ModelScores;
}

/** A source's flagging figures at the threshold; null where the source has no such images. */
const sourceRates = z.object({
  sensitivity: z.number().nullable(),
  specificity: z.number().nullable(),
  positives: z.number().int().min(0),
  negatives: z.number().int().min(0),
});

/** The COVID-19 flag threshold derived on local val, as the comparison and the model card store it. */
export const operatingPoint = z.object({
  threshold: z.number().min(0).max(1),
  targetSensitivity: z.number(),
  /** What the threshold gives on the local val split it was derived on. */
  valSensitivity: z.number(),
  valSpecificity: z.number(),
  /** COVID-19 images in local val: few of them make the threshold coarse. */
  valPositives: z.number().int().min(0),
  /** True when val had no COVID-19 image and the threshold fell back to 0.5. */
  fallback: z.boolean(),
  /** The same figures per data source, where the val split has more than one. */
  bySource: z.record(z.string(), sourceRates).optional(),
});
export type OperatingPoint = z.infer<typeof operatingPoint>;

/** New vs active on the same local test split; stored in the run and in the new model's card. */
export interface Comparison {
  testImages: number;
  testPerClass: ClassCounts;
  models: ComparedModel[];
  operatingPoint: OperatingPoint;
  calibration: { temperature: number; eceBefore: number; eceAfter: number; conformalCoverage: number; qhat: number | null };
}

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface TrainingRunRecord {
  id: number;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
  modelId: string | null;
  parentId: string | null;
  config: TrainingConfig;
  dataset: DatasetSummary | null;
  comparison: Comparison | null;
}

export interface TrainingStatus {
  /** The run in progress, with every point so far, so a reopened view redraws its charts. */
  running: {
    runId: number;
    phase: TrainingPhase;
    backend: TrainingBackend | null;
    config: TrainingConfig;
    batches: BatchPoint[];
    epochs: EpochPoint[];
  } | null;
  /** The newest finished run. */
  last: TrainingRunRecord | null;
}

export interface TrainingDone {
  runId: number;
  status: Exclude<RunStatus, 'running'>;
  error: string | null;
  modelId: string | null;
  comparison: Comparison | null;
}

export const trainingRequests = {
  /** Counts what would be trained on, split by patient, with warnings. */
  dataset: z.object({ folders: folders.default([]), seed: z.number().int().min(0).max(2 ** 31 - 1).default(1) }).strict(),
  /** Opens the folder dialog for a labelled folder; the chosen folder may then be listed in `folders`. */
  chooseFolder: z.object({}).strict(),
  start: trainingConfig,
  cancel: z.object({}).strict(),
  status: z.object({}).strict(),
  runs: z.object({ limit: z.number().int().min(1).max(200).default(20) }).strict(),
};
