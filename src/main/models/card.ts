import fs from 'node:fs';
import path from 'node:path';
import type { Label } from '../../shared/labels';
import type { ArchitectureName } from './architectures';
import type { EvalMetrics } from '../evaluation/evaluate';
import type { TrainRecipe } from '../training/recipe';
import type { EpochPoint } from '../../shared/training';

export const CARD_JSON = 'card.json';

export interface SplitSummary {
  total: number;
  perClass: Record<Label, number>;
  bySource: Record<string, { total: number; perClass: Record<Label, number> }>;
}

/** An epoch in the card's history: the IPC contract's EpochPoint with its duration. */
export interface EpochRecord extends Omit<EpochPoint, 'best'> {
  seconds: number;
  /** Val per source: the curves that show whether one set is learned at the others' expense. */
  valBySource?: Record<string, { loss: number; accuracy: number; balancedAccuracy: number }>;
}

/** What travels with a model folder: enough to rerun its preprocessing and judge its numbers. */
export interface ModelCard {
  id: string;
  name: string;
  version: string;
  architecture: ArchitectureName;
  inputSize: number;
  channels: 1 | 3;
  labels: readonly Label[];
  preprocessing: string;
  params: number;
  weightBytes: number;
  trainingData: { train: SplitSummary; val: SplitSummary };
  recipe: TrainRecipe;
  bestEpoch: number;
  history: EpochRecord[];
  valMetrics: EvalMetrics | null;
  valMetricsBySource: Record<string, EvalMetrics>;
  /** `workers`: backends that trained it data-parallel (absent: one). */
  backend: { name: string; threads: number; simd: boolean; workers?: number };
  date: string;
  parent: string | null;
  /** Known limits a clinician must read (shortcut risks, data gaps). */
  risks: string[];
  intendedUse: string;
  /** Filled in later by calibration (issue 5); kept as-is by this module. */
  calibration?: unknown;
  [extra: string]: unknown;
}

export function readCard(dir: string): ModelCard {
  const file = path.join(dir, CARD_JSON);
  if (!fs.existsSync(file)) throw new Error(`model/card.ts: ${dir}: no ${CARD_JSON}`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as ModelCard;
}

export function writeCard(dir: string, card: ModelCard): void {
  fs.writeFileSync(path.join(dir, CARD_JSON), `${JSON.stringify(card, null, 2)}\n`);
}
