/** The end-of-epoch pass over val: metrics overall and per source, the loss, and the selection score. */
import type * as tf from '@tensorflow/tfjs';
import { LABELS } from '../../shared/labels';
import type { ImageCache } from '../datasets/imageCache';
import { metricsBySource, predictCache, type EvalMetrics } from '../evaluation/evaluate';
import type { TrainRecipe } from './recipe';

export interface Validation {
  all: EvalMetrics;
  bySource: Record<string, EvalMetrics>;
  loss: number;
  lossBySource: Record<string, number>;
  /** What picks the best epoch (higher is better). */
  score: number;
  seconds: number;
}

/**
 * The selection score: macro-F1 over all of val, or the worst source's balanced accuracy (the mean
 * recall of the classes that source has), so the epoch chosen is the one that fails no source worst.
 */
export function selectionScore(all: EvalMetrics, bySource: Record<string, EvalMetrics>, by: TrainRecipe['selectBy']): number {
  if (by === 'macro-f1' || by === undefined) return all.macro.f1;
  const sources = Object.values(bySource);
  return sources.length ? Math.min(...sources.map((m) => m.macro.recall)) : all.macro.recall;
}

export async function validate(model: tf.LayersModel, val: ImageCache, channels: 1 | 3, selectBy: TrainRecipe['selectBy']): Promise<Validation> {
  const t0 = performance.now();
  const probs = await predictCache(model, val, channels);
  const { all, bySource } = metricsBySource(probs, val);
  let loss = 0;
  const sum: Record<string, { loss: number; n: number }> = {};
  for (let i = 0; i < val.count; i++) {
    const l = -Math.log(Math.max(1e-7, probs[i * LABELS.length + val.labels[i]!]!));
    loss += l;
    const s = (sum[val.sources[i]!] ??= { loss: 0, n: 0 });
    s.loss += l;
    s.n++;
  }
  // Per source only where there are several (metricsBySource's rule).
  const lossBySource = Object.fromEntries(Object.keys(bySource).map((s) => [s, sum[s]!.loss / sum[s]!.n]));
  return { all, bySource, loss: loss / val.count, lossBySource, score: selectionScore(all, bySource, selectBy), seconds: (performance.now() - t0) / 1000 };
}
