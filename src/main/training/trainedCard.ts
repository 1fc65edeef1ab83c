/** The card of a freshly trained model: what it is, what it was trained on, and how it scored on val. */
import { randomUUID } from 'node:crypto';
import { LABELS } from '../../shared/labels';
import type { Sample } from '../datasets/dataset';
import { classCounts } from '../datasets/dataset';
import type { ModelCard, SplitSummary } from '../models/card';
import { PREPROCESSING_DESCRIPTION } from '../models/preprocess';
import { ARCHITECTURES } from '../models/architectures';
import type { BackendReport } from '../tfjs/backend';
import type { CheckpointState } from './checkpoint';

export function summarizeSplit(samples: readonly Sample[]): SplitSummary {
  const bySource: SplitSummary['bySource'] = {};
  for (const s of new Set(samples.map((x) => x.source))) {
    const sub = samples.filter((x) => x.source === s);
    bySource[s] = { total: sub.length, perClass: classCounts(sub) };
  }
  return { total: samples.length, perClass: classCounts(samples), bySource };
}

export interface CardFacts {
  state: CheckpointState;
  train: readonly Sample[];
  val: readonly Sample[];
  params: number;
  weightBytes: number;
  backend: BackendReport;
  dataParallel: boolean;
  stoppedEarly: boolean;
  name?: string;
  version?: string;
  parent?: string | null;
  risks?: string[];
}

export function trainedCard(f: CardFacts): ModelCard {
  const { recipe } = f.state;
  const arch = ARCHITECTURES[recipe.architecture];
  return {
    id: randomUUID(),
    name: f.name ?? `${recipe.architecture} ${new Date().toISOString().slice(0, 10)}`,
    version: f.version ?? new Date().toISOString().replace(/[-:]/g, '').slice(0, 13),
    architecture: recipe.architecture,
    inputSize: arch.inputSize,
    channels: arch.channels,
    labels: LABELS,
    preprocessing: PREPROCESSING_DESCRIPTION,
    params: f.params,
    weightBytes: f.weightBytes,
    trainingData: { train: summarizeSplit(f.train), val: summarizeSplit(f.val) },
    recipe,
    bestEpoch: f.state.bestEpoch,
    history: f.state.history,
    valMetrics: f.state.bestMetrics,
    valMetricsBySource: f.state.bestBySource,
    backend: { name: f.backend.name, threads: f.backend.threads, simd: f.backend.simd, ...(f.dataParallel ? { workers: 2 } : {}) },
    date: new Date().toISOString(),
    parent: f.parent ?? null,
    risks: f.risks ?? [],
    ...(f.stoppedEarly ? { stoppedEarly: `deadline reached after ${f.state.history.length} of ${recipe.epochs} epochs` } : {}),
    intendedUse: 'Research use only. Triage aid for frontal chest X-rays; not a diagnosis.',
  };
}
