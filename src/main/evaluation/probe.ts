/**
 * The shortcut probe: how often the predicted class flips when the image is changed in ways that
 * should not matter to a reader of the lungs (DeGrave et al. 2021 found COVID-19 models keyed on
 * borders, text markers and image source). Every perturbation is applied to the preprocessed model
 * input, so the probe isolates what the network does with what it is given.
 *
 * - mask-lung-centre vs mask-borders: a model that reads the lungs flips far more often when their
 *   centre is hidden than when a 15 % frame around them is; the reverse means it reads the frame
 *   (collimation, labels, patient size).
 * - corner-marker / corner-text: a bright block or text-like bars in a corner, like burned-in side
 *   markers and annotations, which differ by source.
 * - downscale-upscale, letterbox-4:3, crop-to-3:4: resolution and aspect changes, which separate
 *   the 224 × 224 pediatric images from the COVID-19 sources in the training data.
 */
import * as tf from '@tensorflow/tfjs';
import { LABELS, type Label } from '../../shared/labels';
import type { Predictor } from '../inference/predictor';
import type { PerturbationResult, ProbeReport } from '../models/card';

export type { PerturbationResult, ProbeReport };

type Perturb = (x: tf.Tensor4D) => tf.Tensor4D;

/** A [1, S, S, 1] mask that is 1 inside the box (fractions of the side). */
function boxMask(s: number, y0: number, y1: number, x0: number, x1: number): tf.Tensor4D {
  const m = new Float32Array(s * s);
  for (let y = Math.round(y0 * s); y < Math.round(y1 * s); y++) for (let x = Math.round(x0 * s); x < Math.round(x1 * s); x++) m[y * s + x] = 1;
  return tf.tensor4d(m, [1, s, s, 1]);
}

/** Replaces the masked region with each image's mean (a neutral gray, not a black hole). */
function fillMean(x: tf.Tensor4D, mask: tf.Tensor4D): tf.Tensor4D {
  const mean = tf.mean(x, [1, 2, 3], true);
  return tf.add(tf.mul(x, tf.sub(1, mask)), tf.mul(mean, mask)) as tf.Tensor4D;
}

/** Paints value 1 where the pattern is 1. */
function paint(x: tf.Tensor4D, pattern: tf.Tensor4D): tf.Tensor4D {
  return tf.maximum(x, pattern) as tf.Tensor4D;
}

/** Text-like bars: three short bright strokes of different lengths, top right. */
function textPattern(s: number): tf.Tensor4D {
  const m = new Float32Array(s * s);
  const h = Math.max(1, Math.round(s * 0.02));
  const rows = [0.05, 0.09, 0.13];
  const lens = [0.22, 0.16, 0.19];
  rows.forEach((r, i) => {
    for (let y = Math.round(r * s); y < Math.round(r * s) + h; y++)
      for (let x = Math.round((0.95 - lens[i]!) * s); x < Math.round(0.95 * s); x++) if ((x >> 1) % 3 !== 2) m[y * s + x] = 1;
  });
  return tf.tensor4d(m, [1, s, s, 1]);
}

const PERTURBATIONS: Record<string, { description: string; make: (s: number) => Perturb }> = {
  'mask-lung-centre': {
    description: 'the central box over both lung fields (x 20–80 %, y 25–75 %) set to the image mean',
    make: (s) => {
      const m = boxMask(s, 0.25, 0.75, 0.2, 0.8);
      return (x) => fillMean(x, m);
    },
  },
  'mask-borders': {
    description: 'a 15 % frame around the image set to the image mean, lungs untouched',
    make: (s) => {
      const inner = boxMask(s, 0.15, 0.85, 0.15, 0.85);
      const m = tf.sub(1, inner) as tf.Tensor4D;
      return (x) => fillMean(x, m);
    },
  },
  'corner-marker': {
    description: 'a bright 10 % square in the top-left corner, like a burned-in side marker',
    make: (s) => {
      const m = boxMask(s, 0.04, 0.14, 0.04, 0.14);
      return (x) => paint(x, m);
    },
  },
  'corner-text': {
    description: 'three bright text-like strokes in the top-right corner, like burned-in annotations',
    make: (s) => {
      const m = textPattern(s);
      return (x) => paint(x, m);
    },
  },
  'downscale-upscale': {
    description: 'down to a quarter of the side and back up (bilinear): a low-resolution source',
    make: (s) => (x) => tf.image.resizeBilinear(tf.image.resizeBilinear(x, [Math.round(s / 4), Math.round(s / 4)]), [s, s]),
  },
  'letterbox-4:3': {
    description: 'squeezed to 3:4 of the height and padded with black bars top and bottom: a landscape source',
    make: (s) => (x) => {
      const h = Math.round((s * 3) / 4);
      const top = Math.floor((s - h) / 2);
      return tf.pad(tf.image.resizeBilinear(x, [h, s]), [[0, 0], [top, s - h - top], [0, 0], [0, 0]]);
    },
  },
  'crop-to-3:4': {
    description: 'the central 75 % of the width stretched back to square: a tall, narrow source',
    make: (s) => (x) => {
      const w = Math.round(s * 0.75);
      const left = Math.floor((s - w) / 2);
      return tf.image.resizeBilinear(tf.slice(x, [0, 0, left, 0], [-1, s, w, -1]), [s, s]);
    },
  },
};

/** Predicted class and calibrated p(COVID-19) per image of a batch. */
async function classify(predictor: Predictor, x: tf.Tensor4D): Promise<{ cls: number[]; pCovid: number[] }> {
  const { calibrated } = await predictor.scores(x);
  const k = LABELS.length;
  const cls: number[] = [];
  const pCovid: number[] = [];
  for (let i = 0; i < x.shape[0]; i++) {
    let top = 0;
    for (let j = 1; j < k; j++) if (calibrated[i * k + j]! > calibrated[i * k + top]!) top = j;
    cls.push(top);
    pCovid.push(calibrated[i * k]!);
  }
  return { cls, pCovid };
}

/**
 * Runs every perturbation over the preprocessed inputs (size × size × channels, values in [0, 1]).
 * `labels` (class indices) adds per-class flip rates.
 */
export async function runProbe(
  predictor: Predictor,
  inputs: readonly Float32Array[],
  opts: { labels?: readonly number[]; data: string; batchSize?: number; onProgress?: (done: number, total: number) => void },
): Promise<ProbeReport> {
  const { size, channels } = predictor.spec;
  const bs = opts.batchSize ?? 32;
  const names = Object.keys(PERTURBATIONS);
  const base: { cls: number[]; pCovid: number[] } = { cls: [], pCovid: [] };
  const after: Record<string, { cls: number[]; pCovid: number[] }> = Object.fromEntries(names.map((n) => [n, { cls: [], pCovid: [] }]));
  for (let start = 0; start < inputs.length; start += bs) {
    const x = predictor.batch(inputs.slice(start, start + bs));
    try {
      const b0 = await classify(predictor, x);
      base.cls.push(...b0.cls);
      base.pCovid.push(...b0.pCovid);
      for (const n of names) {
        // Perturb one gray plane, then replicate it to the model's channels, as preprocessing does.
        const xp = tf.tidy(() => {
          const gray = channels === 1 ? x : (tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, 1]) as tf.Tensor4D);
          // Masks are made inside tidy (cheap at model size) so none outlives the batch.
          const p = tf.clipByValue(PERTURBATIONS[n]!.make(size)(gray), 0, 1) as tf.Tensor4D;
          return channels === 1 ? p : (tf.tile(p, [1, 1, 1, channels]) as tf.Tensor4D);
        });
        const r = await classify(predictor, xp);
        xp.dispose();
        after[n]!.cls.push(...r.cls);
        after[n]!.pCovid.push(...r.pCovid);
      }
    } finally {
      x.dispose();
    }
    opts.onProgress?.(Math.min(inputs.length, start + bs), inputs.length);
    await new Promise((r) => setImmediate(r));
  }
  const n = inputs.length;
  const perturbations: Record<string, PerturbationResult> = {};
  for (const name of names) {
    const a = after[name]!;
    let flips = 0;
    let toCovid = 0;
    let delta = 0;
    const byClass: Partial<Record<Label, [number, number]>> = {};
    for (let i = 0; i < n; i++) {
      const flipped = a.cls[i] !== base.cls[i];
      if (flipped) flips++;
      if (base.cls[i] !== 0 && a.cls[i] === 0) toCovid++;
      delta += a.pCovid[i]! - base.pCovid[i]!;
      if (opts.labels) {
        const l = LABELS[opts.labels[i]!]!;
        const c = (byClass[l] ??= [0, 0]);
        c[0] += flipped ? 1 : 0;
        c[1]++;
      }
    }
    perturbations[name] = {
      description: PERTURBATIONS[name]!.description,
      flipRate: flips / n,
      flipToCovidRate: toCovid / n,
      meanDeltaPCovid: delta / n,
      ...(opts.labels ? { flipRateByClass: Object.fromEntries(Object.entries(byClass).map(([l, [f, t]]) => [l, f / t])) } : {}),
    };
  }
  return {
    n,
    data: opts.data,
    perturbations,
    lungCentreMinusBorders: perturbations['mask-lung-centre']!.flipRate - perturbations['mask-borders']!.flipRate,
    date: new Date().toISOString(),
  };
}
