import * as tf from '@tensorflow/tfjs';
import { LABELS, type Label } from '../../shared/labels';
import { grayToInput } from '../models/preprocess';
import type { ImageCache } from '../datasets/imageCache';
import { expectedCalibrationError } from '../confidence/ece';

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  specificity: number;
  /** One-vs-rest ROC AUC (Mann–Whitney, ties counted half); null when the class is absent or alone. */
  auc: number | null;
  support: number;
}

export interface EvalMetrics {
  n: number;
  labels: readonly Label[];
  accuracy: number;
  perClass: Record<Label, ClassMetrics>;
  /** Unweighted means over the classes present in the labels. */
  macro: { precision: number; recall: number; f1: number; specificity: number; auc: number | null };
  /** Keras' Precision()/Recall() on one-hot outputs at 0.5: the paper's Table 3 figures. */
  kerasMicro: { precision: number; recall: number };
  /** rows: actual, columns: predicted, in LABELS order. */
  confusion: number[][];
  /** Mean predicted probability of the true class with a normal-approximation 95% CI (paper Table 4). */
  meanTrueProb: Record<Label, { mean: number; lo: number; hi: number; n: number }>;
  /** Expected calibration error of the top-class confidence, 15 equal-width bins. */
  ece: number;
}

const K = LABELS.length;

function aucOneVsRest(scores: Float64Array, positive: Uint8Array): number | null {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[idx[k]!] = r;
    i = j + 1;
  }
  let nPos = 0;
  let sumPos = 0;
  for (let i = 0; i < n; i++) {
    if (positive[i]) {
      nPos++;
      sumPos += ranks[i]!;
    }
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return null;
  return (sumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

const safeDiv = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/** All metrics from an n×3 probability matrix (LABELS order) and the true class indices. */
export function computeMetrics(probs: Float32Array, labels: ArrayLike<number>): EvalMetrics {
  const n = labels.length;
  if (probs.length !== n * K) throw new Error(`metrics: ${probs.length} probabilities for ${n} labels`);
  const confusion = LABELS.map(() => LABELS.map(() => 0));
  const pred = new Uint8Array(n);
  let correct = 0;
  let tpKeras = 0;
  let predPosKeras = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (probs[i * K + k]! > probs[i * K + best]!) best = k;
    pred[i] = best;
    const y = labels[i]!;
    confusion[y]![best]!++;
    if (best === y) correct++;
    for (let k = 0; k < K; k++) {
      if (probs[i * K + k]! > 0.5) {
        predPosKeras++;
        if (k === y) tpKeras++;
      }
    }
  }
  // One ECE for the whole app (15 bins), the same function calibration reports before/after with.
  const rows = Array.from({ length: n }, (_, i) => probs.subarray(i * K, (i + 1) * K));
  const ece = expectedCalibrationError(rows, Array.from(labels)).ece;

  const perClass = {} as Record<Label, ClassMetrics>;
  const meanTrueProb = {} as EvalMetrics['meanTrueProb'];
  LABELS.forEach((label, k) => {
    const tp = confusion[k]![k]!;
    const support = confusion[k]!.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + row[k]!, 0);
    const fp = predicted - tp;
    const fn = support - tp;
    const tn = n - tp - fp - fn;
    const precision = safeDiv(tp, predicted);
    const recall = safeDiv(tp, support);
    const scores = new Float64Array(n);
    const positive = new Uint8Array(n);
    const trueProbs: number[] = [];
    for (let i = 0; i < n; i++) {
      scores[i] = probs[i * K + k]!;
      positive[i] = labels[i] === k ? 1 : 0;
      if (labels[i] === k) trueProbs.push(probs[i * K + k]!);
    }
    perClass[label] = {
      precision,
      recall,
      f1: safeDiv(2 * precision * recall, precision + recall),
      specificity: safeDiv(tn, tn + fp),
      auc: aucOneVsRest(scores, positive),
      support,
    };
    const m = trueProbs.length;
    const mean = safeDiv(trueProbs.reduce((a, b) => a + b, 0), m);
    const sd = m > 1 ? Math.sqrt(trueProbs.reduce((a, b) => a + (b - mean) ** 2, 0) / (m - 1)) : 0;
    const half = m > 0 ? (1.96 * sd) / Math.sqrt(m) : 0;
    meanTrueProb[label] = { mean, lo: mean - half, hi: mean + half, n: m };
  });
  const present = LABELS.filter((l) => perClass[l].support > 0);
  const avg = (f: (c: ClassMetrics) => number) => safeDiv(present.reduce((a, l) => a + f(perClass[l]), 0), present.length);
  const aucs = present.map((l) => perClass[l].auc).filter((a): a is number => a !== null);
  return {
    n,
    labels: LABELS,
    accuracy: safeDiv(correct, n),
    perClass,
    macro: {
      precision: avg((c) => c.precision),
      recall: avg((c) => c.recall),
      f1: avg((c) => c.f1),
      specificity: avg((c) => c.specificity),
      auc: aucs.length ? aucs.reduce((a, b) => a + b, 0) / aucs.length : null,
    },
    kerasMicro: { precision: safeDiv(tpKeras, predPosKeras), recall: safeDiv(tpKeras, n) },
    confusion,
    meanTrueProb,
    ece,
  };
}

/** Softmax outputs for every cached image (cache at the model's input size), in batches. */
export async function predictCache(
  model: tf.LayersModel,
  cache: ImageCache,
  channels: 1 | 3,
  batchSize = 64,
): Promise<Float32Array> {
  const { size, count } = cache;
  const px = size * size;
  const out = new Float32Array(count * K);
  for (let start = 0; start < count; start += batchSize) {
    const b = Math.min(batchSize, count - start);
    const buf = new Float32Array(b * px * channels);
    for (let i = 0; i < b; i++) {
      grayToInput(cache.pixels.subarray((start + i) * px, (start + i + 1) * px), channels, buf.subarray(i * px * channels, (i + 1) * px * channels));
    }
    const x = tf.tensor4d(buf, [b, size, size, channels]);
    const y = model.predict(x) as tf.Tensor;
    out.set((await y.data()) as Float32Array, start * K);
    tf.dispose([x, y]);
    // Let a worker's message port (cancel) and the event loop breathe between batches.
    await new Promise((r) => setImmediate(r));
  }
  return out;
}

/** Metrics overall and for each source (data set) in the cache. */
export function metricsBySource(probs: Float32Array, cache: ImageCache): { all: EvalMetrics; bySource: Record<string, EvalMetrics> } {
  const all = computeMetrics(probs, cache.labels);
  const bySource: Record<string, EvalMetrics> = {};
  const sources = [...new Set(cache.sources)];
  if (sources.length > 1) {
    for (const s of sources) {
      const idx = cache.sources.flatMap((src, i) => (src === s ? [i] : []));
      const p = new Float32Array(idx.length * K);
      const l = new Uint8Array(idx.length);
      idx.forEach((i, j) => {
        p.set(probs.subarray(i * K, i * K + K), j * K);
        l[j] = cache.labels[i]!;
      });
      bySource[s] = computeMetrics(p, l);
    }
  }
  return { all, bySource };
}
