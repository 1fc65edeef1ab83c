/**
 * The training loop: one model, one recipe, one output folder (model.json, weights.bin,
 * card.json). Each epoch visits the images the sampler picks, augments them into batches, takes a
 * step per batch (steps.ts), then scores val (validate.ts), keeps the best epoch's weights and
 * writes a resume checkpoint (checkpoint.ts). Plain async code: the training worker runs it
 * (training.worker.ts) so the caller's event loop stays free.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { LABELS } from '../../shared/labels';
import type { BatchPoint } from '../../shared/training';
import { initBackend } from '../tfjs/backend';
import { ARCHITECTURES } from '../models/architectures';
import { CARD_JSON, writeCard, type EpochRecord, type ModelCard } from '../models/card';
import { loadLayersModel, weightBytes } from '../models/modelFiles';
import type { Sample } from '../datasets/dataset';
import { buildImageCache, type ImageCache } from '../datasets/imageCache';
import { augmentSampleInto } from './augment';
import { seededRandom } from './seededRandom';
import { createAdam } from './deviceAdam';
import { GradientPeer, type HalfBatch } from './gradientPeer';
import { initialState, loadCheckpoint, replaceDir, saveCheckpoint, saveModelAtomically, type CheckpointState } from './checkpoint';
import { learningRateAt, PAPER_CLASS_WEIGHTS, type TrainRecipe } from './recipe';
import { epochOrder, shuffled } from './sampler';
import { createStepper, type StepResult } from './steps';
import { trainedCard } from './trainedCard';
import { validate } from './validate';

export interface TrainInput {
  train: Sample[];
  /** The val split only: selection and the card's metrics. Never test or holdout data. */
  val: Sample[];
  /**
   * The same samples already decoded (train at the augmentation size, val at the input size), for
   * a machine without the image files: the GPU reproduction (bench/gpuRepro.ts).
   */
  caches?: { train: ImageCache; val: ImageCache };
}

export interface TrainOptions {
  recipe: TrainRecipe;
  /** The finished model folder; written as `<outDir>.partial` and renamed when complete. */
  outDir: string;
  /** Per-epoch checkpoint (weights + Adam state) for resume; default `<outDir>.checkpoint`. */
  checkpointDir?: string;
  resume?: boolean;
  /** Fine-tuning: a model folder of the same architecture whose weights start the run. */
  initFrom?: string;
  name?: string;
  version?: string;
  parent?: string | null;
  risks?: string[];
  /**
   * Wall-clock limit (ms since epoch): no epoch is started that would, at the last epoch's pace,
   * end after it; the best epoch so far is then written as the finished model.
   */
  deadline?: number;
  /** Write the per-epoch resume checkpoint (default true); the best model is written either way. */
  checkpoints?: boolean;
  /**
   * 2: on wasm, a second backend in a worker thread takes half of each batch (gradientPeer.ts),
   * so training uses two cores. 'auto': 2 where there are two cores and the model is compact
   * enough for the per-batch weight exchange to pay (DATA_PARALLEL_MAX_PARAMS). Default 1; other
   * backends ignore it.
   */
  workers?: number | 'auto';
}

/** A batch's progress: the IPC contract's BatchPoint plus the backend that ran it, on how many threads. */
export interface BatchEvent extends BatchPoint {
  type: 'batch';
  backend: string;
  /** 2 while a gradient peer shares the batches. */
  workers: number;
}
export interface EpochEvent {
  type: 'epoch';
  record: EpochRecord;
  epochs: number;
  best: boolean;
  etaS: number;
  backend: string;
  valRecall: Record<string, number>;
  valBySource: Record<string, { accuracy: number; macroF1: number; balancedAccuracy: number }>;
}
export type TrainEvent =
  | { type: 'cache'; split: 'train' | 'val'; done: number; total: number }
  | { type: 'resumed'; epoch: number }
  | BatchEvent
  | EpochEvent;

export interface TrainResult {
  status: 'completed' | 'cancelled';
  /** Set when the deadline ended training before `recipe.epochs`. */
  stoppedEarly?: boolean;
  outDir: string | null;
  card: ModelCard | null;
  history: EpochRecord[];
}

export interface TrainHooks {
  onEvent?: (e: TrainEvent) => void;
  isCancelled?: () => boolean;
}

export class TrainError extends Error {
  override name = 'TrainError';
}

/**
 * Data-parallel training sends every weight to the peer and every gradient back, each batch. Measured
 * on 2 cores (wasm, batch 32): zhongSlim (251k weights) 21.1 → 38.7 img/s with a peer; zhong2020
 * (63M) 4.3 → 3.4, the exchange costing more than the halved compute.
 */
export const DATA_PARALLEL_MAX_PARAMS = 5_000_000;

/** Whether to train with a gradient peer: only wasm has one; 'auto' wants two cores and a compact model. */
export function dataParallel(workers: TrainOptions['workers'], backendName: string, params: number, cores: number): boolean {
  if (backendName !== 'wasm') return false;
  if (workers === 'auto') return cores >= 2 && params <= DATA_PARALLEL_MAX_PARAMS;
  return (workers ?? 1) > 1;
}

function classWeightsFor(recipe: TrainRecipe, labels: Uint8Array): number[] {
  if (recipe.classWeights === 'paper') return PAPER_CLASS_WEIGHTS;
  if (recipe.classWeights === 'none') return [1, 1, 1];
  const counts = [0, 0, 0];
  for (const l of labels) counts[l]!++;
  return counts.map((c) => (c === 0 ? 0 : labels.length / (LABELS.length * c)));
}

function subsample(samples: Sample[], max: number | undefined, seed: number): Sample[] {
  if (!max || samples.length <= max) return samples;
  const idx = shuffled(samples.length, seededRandom(seed ^ 0x5eed));
  return Array.from(idx.subarray(0, max)).sort((a, b) => a - b).map((i) => samples[i]!);
}

/** Refuses a request that cannot train, before anything is decoded. */
function checkInput(input: TrainInput, recipe: TrainRecipe, trainSamples: Sample[]): void {
  const arch = ARCHITECTURES[recipe.architecture];
  if (!arch) throw new TrainError(`unknown architecture ${recipe.architecture}`);
  if (input.train.length === 0) throw new TrainError('no training images');
  if (input.val.length === 0) throw new TrainError('no validation images (the val split selects the model)');
  if (recipe.augment.crop !== arch.inputSize) {
    throw new TrainError(`augment.crop ${recipe.augment.crop} must equal the ${recipe.architecture} input size ${arch.inputSize}`);
  }
  if (input.caches) {
    const { train: t, val: v } = input.caches;
    if (t.count !== trainSamples.length || t.size !== recipe.augment.resize || v.count !== input.val.length || v.size !== arch.inputSize) {
      throw new TrainError(
        `decoded caches (train ${t.count}×${t.size}², val ${v.count}×${v.size}²) do not match the samples ` +
          `(train ${trainSamples.length}×${recipe.augment.resize}², val ${input.val.length}×${arch.inputSize}²)`,
      );
    }
  }
}

/** One batch of augmented images from the cache, in the epoch's order. */
function makeBatch(cache: ImageCache, order: Uint32Array, start: number, m: number, recipe: TrainRecipe, classWeights: number[], rand: () => number, channels: number): HalfBatch {
  const px = recipe.augment.crop * recipe.augment.crop * channels;
  const batch: HalfBatch = { x: new Float32Array(m * px), labels: new Int32Array(m), weights: new Float32Array(m) };
  for (let i = 0; i < m; i++) {
    const s = order[start + i]!;
    augmentSampleInto(cache, s, recipe.augment, rand, channels, batch.x, i * px);
    batch.labels[i] = cache.labels[s]!;
    batch.weights[i] = classWeights[batch.labels[i]!]!;
  }
  return batch;
}

const trainableVariables = (model: tf.LayersModel): tf.Variable[] => model.trainableWeights.map((w) => w.read() as tf.Variable);

/** Trains one model with the recipe and writes its folder. */
export async function trainModel(input: TrainInput, opts: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  const { recipe } = opts;
  const trainSamples = subsample(input.train, recipe.maxTrainImages, recipe.seed);
  checkInput(input, recipe, trainSamples);
  const arch = ARCHITECTURES[recipe.architecture];
  const emit = hooks.onEvent ?? (() => {});
  const cancelled = hooks.isCancelled ?? (() => false);
  const backend = await initBackend();
  const outDir = path.resolve(opts.outDir);
  const partial = `${outDir}.partial`;
  const ckptLast = path.join(path.resolve(opts.checkpointDir ?? `${outDir}.checkpoint`), 'last');

  const trainCache =
    input.caches?.train ??
    (await buildImageCache(trainSamples, recipe.augment.resize, {
      onProgress: (done, total) => emit({ type: 'cache', split: 'train', done, total }),
      jpegQuality: recipe.augment.kind === 'chest' ? recipe.augment.jpeg.quality : undefined,
    }));
  const valCache =
    input.caches?.val ?? (await buildImageCache(input.val, arch.inputSize, { onProgress: (done, total) => emit({ type: 'cache', split: 'val', done, total }) }));

  // tfjs draws initializer and dropout seeds from Math.random: a seeded one makes --seed repeat a run.
  const realRandom = Math.random;
  Math.random = seededRandom(recipe.seed * 7919 + 17);
  let peer: GradientPeer | null = null;
  const model = arch.build();
  const vars = trainableVariables(model);
  const adam = createAdam(backend.name, learningRateAt(recipe, 0));
  try {
    let state: CheckpointState = initialState(recipe);
    const resumed = opts.resume ? await loadCheckpoint(ckptLast, model, adam, vars) : null;
    if (resumed) {
      state = resumed;
      // A run that already finished renamed its best model away from the partial folder.
      if (!fs.existsSync(partial) && fs.existsSync(path.join(outDir, CARD_JSON))) fs.cpSync(outDir, partial, { recursive: true });
      emit({ type: 'resumed', epoch: state.epoch });
    } else {
      fs.rmSync(partial, { recursive: true, force: true });
      if (opts.initFrom) {
        const parent = await loadLayersModel(opts.initFrom);
        model.setWeights(parent.getWeights());
        parent.dispose();
      }
    }

    const classWeights = classWeightsFor(recipe, trainCache.labels);
    const bs = recipe.batchSize;
    const sampling = recipe.sampling ?? { kind: 'shuffle' as const };
    const perEpoch = sampling.kind === 'balanced' ? sampling.epochSize : trainCache.count;
    const batches = Math.ceil(perEpoch / bs);
    const stepper = createStepper(model, adam, vars, recipe.augment.crop, arch.channels, recipe.labelSmoothing);
    const runStart = performance.now();
    let imagesThisRun = 0;
    let valSecondsPerEpoch = 0;
    const eta = (epoch: number, batchDone: number): number => {
      const rate = imagesThisRun / Math.max(1e-3, (performance.now() - runStart) / 1000);
      const left = (recipe.epochs - epoch - 1) * perEpoch + Math.max(0, perEpoch - batchDone * bs);
      return left / Math.max(rate, 1e-6) + (recipe.epochs - epoch) * valSecondsPerEpoch;
    };
    if (dataParallel(opts.workers, backend.name, model.countParams(), os.availableParallelism())) peer = await GradientPeer.start(recipe.architecture);
    const trainedWithPeer = peer !== null;

    let stoppedEarly = false;
    for (let epoch = state.epoch; epoch < recipe.epochs; epoch++) {
      const last = state.history.at(-1);
      if (opts.deadline && last && state.bestEpoch >= 0 && Date.now() + last.seconds * 1000 > opts.deadline) {
        stoppedEarly = true;
        break;
      }
      const lr = learningRateAt(recipe, epoch);
      adam.learningRate = lr;
      const rand = seededRandom(recipe.seed * 1_000_003 + epoch);
      Math.random = seededRandom(recipe.seed * 7919 + epoch + 1);
      const order = epochOrder(trainCache.labels, trainCache.sources, sampling, rand);
      const epochStart = performance.now();
      let lossSum = 0;
      let accSum = 0;
      let seen = 0;
      for (let b = 0; b < batches; b++) {
        if (cancelled()) return { status: 'cancelled', outDir: null, card: null, history: state.history };
        if (recipe.lrCosine) adam.learningRate = learningRateAt(recipe, epoch + b / batches);
        const m = Math.min(bs, order.length - b * bs);
        const batch = makeBatch(trainCache, order, b * bs, m, recipe, classWeights, rand, arch.channels);
        let step: StepResult | null = null;
        if (peer && m >= 2) {
          try {
            step = await stepper.parallel(peer, batch, recipe.seed * 1_000_003 + epoch * 10_007 + b);
          } catch {
            // The peer's thread died: this batch and the rest run on this thread, nothing is lost.
            await peer.close();
            peer = null;
          }
        }
        const { loss, acc } = step ?? (await stepper.local(batch));
        if (!Number.isFinite(loss)) throw new TrainError(`loss became ${loss} at epoch ${epoch}, batch ${b}`);
        lossSum += loss * m;
        accSum += acc * m;
        seen += m;
        imagesThisRun += m;
        const secs = (performance.now() - epochStart) / 1000;
        emit({ type: 'batch', epoch, epochs: recipe.epochs, batch: b + 1, batches, loss, accuracy: acc, imgPerS: seen / secs, etaS: eta(epoch, b + 1), backend: backend.name, workers: peer ? 2 : 1 });
        // Yield so a worker sees its cancel message between batches.
        await new Promise((r) => setImmediate(r));
      }
      const trainSeconds = (performance.now() - epochStart) / 1000;

      const val = await validate(model, valCache, arch.channels, recipe.selectBy);
      valSecondsPerEpoch = val.seconds;
      const record: EpochRecord = {
        epoch,
        lr,
        loss: lossSum / seen,
        accuracy: accSum / seen,
        valLoss: val.loss,
        valAccuracy: val.all.accuracy,
        valMacroF1: val.all.macro.f1,
        imgPerS: seen / trainSeconds,
        seconds: (performance.now() - epochStart) / 1000,
        valBySource: Object.fromEntries(
          Object.entries(val.bySource).map(([s, m]) => [s, { loss: val.lossBySource[s]!, accuracy: m.accuracy, balancedAccuracy: m.macro.recall }]),
        ),
      };
      state.history.push(record);
      const best = recipe.selectBy === 'last' || val.score > state.bestScore;
      if (best) {
        Object.assign(state, { bestScore: val.score, bestEpoch: epoch, bestMetrics: val.all, bestBySource: val.bySource });
        await saveModelAtomically(model, partial);
      }
      state.epoch = epoch + 1;
      if (opts.checkpoints ?? true) await saveCheckpoint(ckptLast, model, adam, vars, state);
      emit({
        type: 'epoch',
        record,
        epochs: recipe.epochs,
        best,
        etaS: eta(epoch, batches),
        backend: backend.name,
        valRecall: Object.fromEntries(LABELS.map((l) => [l, val.all.perClass[l].recall])),
        valBySource: Object.fromEntries(Object.entries(val.bySource).map(([s, m]) => [s, { accuracy: m.accuracy, macroF1: m.macro.f1, balancedAccuracy: m.macro.recall }])),
      });
    }

    const card = trainedCard({
      state,
      train: trainSamples,
      val: input.val,
      params: model.countParams(),
      weightBytes: weightBytes(partial),
      backend,
      dataParallel: trainedWithPeer,
      stoppedEarly,
      name: opts.name,
      version: opts.version,
      parent: opts.parent,
      risks: opts.risks,
    });
    writeCard(partial, card);
    replaceDir(partial, outDir);
    if (!fs.existsSync(path.join(outDir, CARD_JSON))) throw new TrainError(`${outDir} has no card after rename`);
    return { status: 'completed', stoppedEarly, outDir, card, history: state.history };
  } finally {
    Math.random = realRandom;
    model.dispose();
    adam.dispose();
    await peer?.close();
  }
}
