/**
 * The per-epoch resume checkpoint (weights, Adam's moments, the loop's state) and the best-epoch
 * model folder, each written to a temporary folder and renamed, so a kill leaves the last whole one.
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { EpochRecord } from '../models/card';
import type { EvalMetrics } from '../evaluation/evaluate';
import { folderIO, loadLayersModel } from '../models/modelFiles';
import type { AdamBase } from './leanAdam';
import type { TrainRecipe } from './recipe';

export interface CheckpointState {
  /** Epochs completed. */
  epoch: number;
  history: EpochRecord[];
  /** The selection score (recipe.selectBy) of the best epoch so far. */
  bestScore: number;
  bestEpoch: number;
  bestMetrics: EvalMetrics | null;
  bestBySource: Record<string, EvalMetrics>;
  adamStep: number;
  /** Variable sizes in trainableWeights order, to lay out adam.bin. */
  sizes: number[];
  recipe: TrainRecipe;
}

export const initialState = (recipe: TrainRecipe): CheckpointState => ({
  epoch: 0,
  history: [],
  bestScore: -1,
  bestEpoch: -1,
  bestMetrics: null,
  bestBySource: {},
  adamStep: 0,
  sizes: [],
  recipe,
});

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/**
 * Why a training run may not write its model to `dir`, or null: the finished model replaces the
 * folder whole, so a folder that holds anything but a model (someone's files) is refused. Absent,
 * empty and model folders (model.json or card.json) are fine.
 */
export function outDirProblem(dir: string): string | null {
  let names: string[];
  try {
    if (!fs.statSync(dir).isDirectory()) return `${dir} exists and is not a folder`;
    names = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (names.length === 0 || names.includes('model.json') || names.includes('card.json')) return null;
  return `${dir} is not empty and is not a model folder (no model.json or card.json); the trained model would replace its ${names.length} entr${names.length === 1 ? 'y' : 'ies'}`;
}

/** Replaces `to` with `from` (one rename; `to` removed first). */
export function replaceDir(from: string, to: string): void {
  fs.rmSync(to, { recursive: true, force: true });
  fs.renameSync(from, to);
}

/** Saves a model folder through a temporary sibling, so `dir` is always whole. */
export async function saveModelAtomically(model: tf.LayersModel, dir: string): Promise<void> {
  const tmp = `${dir}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  await model.save(folderIO(tmp));
  replaceDir(tmp, dir);
}

/** Writes Adam's moments (m then v, in trainable-weights order). */
async function saveAdam(file: string, adam: AdamBase, vars: tf.Variable[]): Promise<{ step: number; sizes: number[] }> {
  const st = await adam.state();
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
  return { step: st.step, sizes: vars.map((v) => v.size) };
}

function loadAdam(file: string, adam: AdamBase, vars: tf.Variable[], step: number, sizes: number[]): void {
  const buf = fs.readFileSync(file);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (sizes.length !== vars.length || buf.byteLength !== total * 8) throw new CheckpointError(`${file} does not match the model`);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const m: Record<string, Float32Array> = {};
  const v: Record<string, Float32Array> = {};
  let o = 0;
  for (const part of [m, v]) {
    for (const vr of vars) {
      part[vr.name] = all.slice(o, o + vr.size);
      o += vr.size;
    }
  }
  adam.restore({ step, m, v });
}

/** The checkpoint after an epoch: weights, Adam state and the loop state, in `dir`. */
export async function saveCheckpoint(dir: string, model: tf.LayersModel, adam: AdamBase, vars: tf.Variable[], state: CheckpointState): Promise<void> {
  const tmp = `${dir}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  await model.save(folderIO(tmp));
  const saved = await saveAdam(path.join(tmp, 'adam.bin'), adam, vars);
  state.adamStep = saved.step;
  state.sizes = saved.sizes;
  fs.writeFileSync(path.join(tmp, 'state.json'), JSON.stringify(state));
  replaceDir(tmp, dir);
}

/** Restores a checkpoint into the model and Adam; null when `dir` holds none. */
export async function loadCheckpoint(dir: string, model: tf.LayersModel, adam: AdamBase, vars: tf.Variable[]): Promise<CheckpointState | null> {
  const statePath = path.join(dir, 'state.json');
  if (!fs.existsSync(statePath)) return null;
  const raw = JSON.parse(fs.readFileSync(statePath, 'utf8')) as CheckpointState & { bestF1?: number };
  // Checkpoints written before selection scores were named kept the macro-F1 as bestF1.
  const state: CheckpointState = { ...raw, bestScore: raw.bestScore ?? raw.bestF1 ?? -1 };
  const saved = await loadLayersModel(dir);
  model.setWeights(saved.getWeights());
  saved.dispose();
  loadAdam(path.join(dir, 'adam.bin'), adam, vars, state.adamStep, state.sizes);
  return state;
}
