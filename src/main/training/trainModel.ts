import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { LABELS } from '../../shared/labels';
import { initBackend } from '../tfjs/backend';
import { ARCHITECTURES } from '../models/architectures';
import { augmentInto } from './augment';
import { seededRandom } from './seededRandom';
import { CARD_JSON, writeCard, type EpochRecord, type ModelCard, type SplitSummary } from '../models/card';
import { classCounts, type Sample } from '../datasets/dataset';
import { metricsBySource, predictCache, type EvalMetrics } from '../evaluation/evaluate';
import { buildImageCache, type ImageCache } from '../datasets/imageCache';
import { createAdam } from './deviceAdam';
import { batchLoss, GradientPeer, type HalfBatch, type PeerResult } from './gradientPeer';
import type { AdamBase } from './leanAdam';
import { folderIO, loadLayersModel, weightBytes } from '../models/modelFiles';
import { PREPROCESSING_DESCRIPTION } from '../models/preprocess';
import { learningRateAt, PAPER_CLASS_WEIGHTS, type TrainRecipe } from './recipe';
import type { BatchPoint } from '../../shared/training';

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
  valBySource: Record<string, { accuracy: number; macroF1: number }>;
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
  constructor(reason: string) {
    super(`model/train.ts: ${reason}`);
  }
}

interface CheckpointState {
  /** Epochs completed. */
  epoch: number;
  history: EpochRecord[];
  bestF1: number;
  bestEpoch: number;
  bestMetrics: EvalMetrics | null;
  bestBySource: Record<string, EvalMetrics>;
  adamStep: number;
  /** Variable sizes in trainableWeights order, to lay out adam.bin. */
  sizes: number[];
  recipe: TrainRecipe;
}

const K = LABELS.length;

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

function summarize(samples: readonly Sample[]): SplitSummary {
  const bySource: SplitSummary['bySource'] = {};
  for (const s of new Set(samples.map((x) => x.source))) {
    const sub = samples.filter((x) => x.source === s);
    bySource[s] = { total: sub.length, perClass: classCounts(sub) };
  }
  return { total: samples.length, perClass: classCounts(samples), bySource };
}

function classWeightsFor(recipe: TrainRecipe, labels: Uint8Array): number[] {
  if (recipe.classWeights === 'paper') return PAPER_CLASS_WEIGHTS;
  if (recipe.classWeights === 'none') return [1, 1, 1];
  const counts = [0, 0, 0];
  for (const l of labels) counts[l]!++;
  return counts.map((c) => (c === 0 ? 0 : labels.length / (K * c)));
}

/** Seeded Fisher–Yates. */
function shuffled(n: number, rand: () => number): Uint32Array {
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx;
}

function subsample(samples: Sample[], max: number | undefined, seed: number): Sample[] {
  if (!max || samples.length <= max) return samples;
  const idx = shuffled(samples.length, seededRandom(seed ^ 0x5eed));
  return Array.from(idx.subarray(0, max)).sort((a, b) => a - b).map((i) => samples[i]!);
}

function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** Writes Adam's moments (m then v, in trainable-weights order); returns what state.json records. */
async function saveAdam(file: string, adam: AdamBase, vars: tf.Variable[]): Promise<{ step: number; sizes: number[] }> {
  const st = await adam.state();
  const sizes = vars.map((v) => v.size);
  const fd = fs.openSync(file, 'w');
  try {
    for (const part of [st.m, st.v]) {
      for (const v of vars) {
        const a = part[v.name] ?? new Float32Array(v.size);
        fs.writeSync(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return { step: st.step, sizes };
}

function loadAdam(file: string, adam: AdamBase, vars: tf.Variable[], step: number, sizes: number[]): void {
  const buf = fs.readFileSync(file);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (sizes.length !== vars.length || buf.byteLength !== total * 8) throw new TrainError(`${file} does not match the model`);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const m: Record<string, Float32Array> = {};
  const v: Record<string, Float32Array> = {};
  let o = 0;
  vars.forEach((vr) => {
    m[vr.name] = all.slice(o, o + vr.size);
    o += vr.size;
  });
  vars.forEach((vr) => {
    v[vr.name] = all.slice(o, o + vr.size);
    o += vr.size;
  });
  adam.restore({ step, m, v });
}

function replaceDir(from: string, to: string): void {
  fs.rmSync(to, { recursive: true, force: true });
  fs.renameSync(from, to);
}

/**
 * Trains one model with the recipe and writes its folder (model.json, weights.bin, card.json).
 * Plain async code: run it in a worker thread (trainWorker.ts) so the caller's loop stays free.
 */
export async function trainModel(input: TrainInput, opts: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  const { recipe } = opts;
  const arch = ARCHITECTURES[recipe.architecture];
  if (!arch) throw new TrainError(`unknown architecture ${recipe.architecture}`);
  if (input.train.length === 0) throw new TrainError('no training images');
  if (input.val.length === 0) throw new TrainError('no validation images (the val split selects the model)');
  if (recipe.augment.crop !== arch.inputSize) {
    throw new TrainError(`augment.crop ${recipe.augment.crop} must equal the ${recipe.architecture} input size ${arch.inputSize}`);
  }
  const emit = hooks.onEvent ?? (() => {});
  const cancelled = hooks.isCancelled ?? (() => false);
  const backend = await initBackend();
  const outDir = path.resolve(opts.outDir);
  const partial = `${outDir}.partial`;
  const ckptDir = path.resolve(opts.checkpointDir ?? `${outDir}.checkpoint`);
  const ckptLast = path.join(ckptDir, 'last');

  const trainSamples = subsample(input.train, recipe.maxTrainImages, recipe.seed);
  if (input.caches) {
    const { train: t, val: v } = input.caches;
    if (t.count !== trainSamples.length || t.size !== recipe.augment.resize || v.count !== input.val.length || v.size !== arch.inputSize) {
      throw new TrainError(
        `decoded caches (train ${t.count}×${t.size}², val ${v.count}×${v.size}²) do not match the samples ` +
          `(train ${trainSamples.length}×${recipe.augment.resize}², val ${input.val.length}×${arch.inputSize}²)`,
      );
    }
  }
  const trainCache =
    input.caches?.train ??
    (await buildImageCache(trainSamples, recipe.augment.resize, (done, total) => emit({ type: 'cache', split: 'train', done, total })));
  const valCache =
    input.caches?.val ?? (await buildImageCache(input.val, arch.inputSize, (done, total) => emit({ type: 'cache', split: 'val', done, total })));

  // tfjs draws initializer and dropout seeds from Math.random: a seeded one makes --seed repeat a run.
  const realRandom = Math.random;
  Math.random = seededRandom(recipe.seed * 7919 + 17);
  let peer: GradientPeer | null = null;
  let trainedWithPeer = false;
  try {
    const model = arch.build();
    const vars = trainableVariables(model);
    const adam = createAdam(backend.name, learningRateAt(recipe, 0));
    let state: CheckpointState = {
      epoch: 0,
      history: [],
      bestF1: -1,
      bestEpoch: -1,
      bestMetrics: null,
      bestBySource: {},
      adamStep: 0,
      sizes: [],
      recipe,
    };
    const statePath = path.join(ckptLast, 'state.json');
    if (opts.resume && fs.existsSync(statePath)) {
      state = JSON.parse(fs.readFileSync(statePath, 'utf8')) as CheckpointState;
      const saved = await loadLayersModel(ckptLast);
      model.setWeights(saved.getWeights());
      saved.dispose();
      loadAdam(path.join(ckptLast, 'adam.bin'), adam, vars, state.adamStep, state.sizes);
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

    const weights = classWeightsFor(recipe, trainCache.labels);
    const n = trainCache.count;
    const bs = recipe.batchSize;
    const batches = Math.ceil(n / bs);
    const crop = recipe.augment.crop;
    const px = crop * crop * arch.channels;
    const srcPx = trainCache.size * trainCache.size;
    const runStart = performance.now();
    let imagesThisRun = 0;
    let valSecondsPerEpoch = 0;
    const eta = (epoch: number, batchDone: number): number => {
      const rate = imagesThisRun / Math.max(1e-3, (performance.now() - runStart) / 1000);
      const left = (recipe.epochs - epoch - 1) * n + Math.max(0, n - batchDone * bs);
      return left / Math.max(rate, 1e-6) + (recipe.epochs - epoch) * valSecondsPerEpoch;
    };

    const ls = recipe.labelSmoothing;
    /** One Adam step on the whole batch in this thread. */
    const localStep = async (batch: HalfBatch): Promise<{ loss: number; acc: number }> => {
      let accT: tf.Scalar | undefined;
      const cost = adam.minimize(
        () => {
          const r = batchLoss(model, batch, crop, arch.channels, ls, true);
          accT = tf.keep(r.accuracy);
          return r.loss;
        },
        true,
        vars,
      )!;
      const loss = (await cost.data())[0]!;
      const acc = accT ? (await accT.data())[0]! : 0;
      tf.dispose([cost, accT as tf.Tensor]);
      return { loss, acc };
    };
    /** One Adam step on the gradients of both halves, the second computed by the peer meanwhile. */
    const parallelStep = async (p: GradientPeer, batch: HalfBatch, seed: number): Promise<{ loss: number; acc: number }> => {
      const m = batch.labels.length;
      const mA = Math.ceil(m / 2);
      const part = (from: number, to: number): HalfBatch => ({
        x: batch.x.slice(from * px, to * px),
        labels: batch.labels.slice(from, to),
        weights: batch.weights.slice(from, to),
      });
      const now = await Promise.all(vars.map(async (v) => (await v.data()) as Float32Array));
      const remote = p.compute(now, part(mA, m), ls, true, seed);
      let accT: tf.Scalar | undefined;
      const { value, grads } = adam.computeGradients(() => {
        const r = batchLoss(model, part(0, mA), crop, arch.channels, ls, true);
        accT = tf.keep(r.accuracy);
        return r.loss;
      }, vars);
      let theirs: PeerResult;
      try {
        theirs = await remote;
      } catch (err) {
        tf.dispose([value, accT!, ...Object.values(grads)]);
        throw err;
      }
      // Each half's loss is its mean: the batch's gradient is their size-weighted average.
      const fa = mA / m;
      const avg = Object.fromEntries(
        vars.map((v, i) => [v.name, tf.tidy(() => tf.add(tf.mul(grads[v.name]!, fa), tf.mul(tf.tensor(theirs.grads[i]!, v.shape), 1 - fa)))]),
      );
      adam.applyGradients(avg);
      const loss = (await value.data())[0]!;
      const acc = (await accT!.data())[0]!;
      tf.dispose([value, accT!, ...Object.values(grads), ...Object.values(avg)]);
      return { loss: fa * loss + (1 - fa) * theirs.loss, acc: fa * acc + (1 - fa) * theirs.accuracy };
    };
    if (dataParallel(opts.workers, backend.name, model.countParams(), os.availableParallelism())) {
      peer = await GradientPeer.start(recipe.architecture);
      trainedWithPeer = true;
    }

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
      const order = shuffled(n, rand);
      const epochStart = performance.now();
      let lossSum = 0;
      let accSum = 0;
      let seen = 0;
      for (let b = 0; b < batches; b++) {
        if (cancelled()) {
          model.dispose();
          adam.dispose();
          return { status: 'cancelled', outDir: null, card: null, history: state.history };
        }
        const start = b * bs;
        const m = Math.min(bs, n - start);
        const xBuf = new Float32Array(m * px);
        const yIdx = new Int32Array(m);
        const wBuf = new Float32Array(m);
        for (let i = 0; i < m; i++) {
          const s = order[start + i]!;
          augmentInto(trainCache.pixels.subarray(s * srcPx, (s + 1) * srcPx), recipe.augment, rand, arch.channels, xBuf, i * px);
          yIdx[i] = trainCache.labels[s]!;
          wBuf[i] = weights[yIdx[i]!]!;
        }
        const batch: HalfBatch = { x: xBuf, labels: yIdx, weights: wBuf };
        let step: { loss: number; acc: number } | null = null;
        if (peer && m >= 2) {
          try {
            step = await parallelStep(peer, batch, recipe.seed * 1_000_003 + epoch * 10_007 + b);
          } catch {
            // The peer's thread died: this batch and the rest run on this thread, nothing is lost.
            await peer.close();
            peer = null;
          }
        }
        const { loss, acc } = step ?? (await localStep(batch));
        if (!Number.isFinite(loss)) throw new TrainError(`loss became ${loss} at epoch ${epoch}, batch ${b}`);
        lossSum += loss * m;
        accSum += acc * m;
        seen += m;
        imagesThisRun += m;
        const secs = (performance.now() - epochStart) / 1000;
        emit({
          type: 'batch',
          epoch,
          epochs: recipe.epochs,
          batch: b + 1,
          batches,
          loss,
          accuracy: acc,
          imgPerS: seen / secs,
          etaS: eta(epoch, b + 1),
          backend: backend.name,
          workers: peer ? 2 : 1,
        });
        // Yield so a worker sees its cancel message between batches.
        await new Promise((r) => setImmediate(r));
      }
      const trainSeconds = (performance.now() - epochStart) / 1000;

      const valStart = performance.now();
      const probs = await predictCache(model, valCache, arch.channels);
      const { all, bySource } = metricsBySource(probs, valCache);
      let valLoss = 0;
      for (let i = 0; i < valCache.count; i++) valLoss -= Math.log(Math.max(1e-7, probs[i * K + valCache.labels[i]!]!));
      valLoss /= valCache.count;
      valSecondsPerEpoch = (performance.now() - valStart) / 1000;

      const record: EpochRecord = {
        epoch,
        lr,
        loss: lossSum / seen,
        accuracy: accSum / seen,
        valLoss,
        valAccuracy: all.accuracy,
        valMacroF1: all.macro.f1,
        imgPerS: seen / trainSeconds,
        seconds: (performance.now() - epochStart) / 1000,
      };
      state.history.push(record);
      const best = all.macro.f1 > state.bestF1;
      if (best) {
        state.bestF1 = all.macro.f1;
        state.bestEpoch = epoch;
        state.bestMetrics = all;
        state.bestBySource = bySource;
        const tmp = `${partial}.tmp`;
        fs.rmSync(tmp, { recursive: true, force: true });
        await model.save(folderIO(tmp));
        replaceDir(tmp, partial);
      }
      state.epoch = epoch + 1;
      if (opts.checkpoints ?? true) {
        const ckTmp = `${ckptLast}.tmp`;
        fs.rmSync(ckTmp, { recursive: true, force: true });
        await model.save(folderIO(ckTmp));
        const saved = await saveAdam(path.join(ckTmp, 'adam.bin'), adam, vars);
        state.adamStep = saved.step;
        state.sizes = saved.sizes;
        fs.writeFileSync(path.join(ckTmp, 'state.json'), JSON.stringify(state));
        replaceDir(ckTmp, ckptLast);
      }
      emit({
        type: 'epoch',
        record,
        epochs: recipe.epochs,
        best,
        etaS: eta(epoch, batches),
        backend: backend.name,
        valRecall: Object.fromEntries(LABELS.map((l) => [l, all.perClass[l].recall])),
        valBySource: Object.fromEntries(Object.entries(bySource).map(([s, m]) => [s, { accuracy: m.accuracy, macroF1: m.macro.f1 }])),
      });
    }

    const card: ModelCard = {
      id: randomUUID(),
      name: opts.name ?? `${recipe.architecture} ${new Date().toISOString().slice(0, 10)}`,
      version: opts.version ?? new Date().toISOString().replace(/[-:]/g, '').slice(0, 13),
      architecture: recipe.architecture,
      inputSize: arch.inputSize,
      channels: arch.channels,
      labels: LABELS,
      preprocessing: PREPROCESSING_DESCRIPTION,
      params: model.countParams(),
      weightBytes: weightBytes(partial),
      trainingData: { train: summarize(trainSamples), val: summarize(input.val) },
      recipe,
      bestEpoch: state.bestEpoch,
      history: state.history,
      valMetrics: state.bestMetrics,
      valMetricsBySource: state.bestBySource,
      backend: { name: backend.name, threads: backend.threads, simd: backend.simd, ...(trainedWithPeer ? { workers: 2 } : {}) },
      date: new Date().toISOString(),
      parent: opts.parent ?? null,
      risks: opts.risks ?? [],
      ...(stoppedEarly ? { stoppedEarly: `deadline reached after ${state.history.length} of ${recipe.epochs} epochs` } : {}),
      intendedUse: 'Research use only. Triage aid for frontal chest X-rays; not a diagnosis.',
    };
    writeCard(partial, card);
    replaceDir(partial, outDir);
    model.dispose();
    adam.dispose();
    if (!fs.existsSync(path.join(outDir, CARD_JSON))) throw new TrainError(`${outDir} has no card after rename`);
    return { status: 'completed', stoppedEarly, outDir, card, history: state.history };
  } finally {
    Math.random = realRandom;
    await peer?.close();
  }
}

export type { ImageCache };
