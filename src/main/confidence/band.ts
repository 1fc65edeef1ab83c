/**
 * The per-prediction 95 % band per class.
 *
 * Method, chosen per model:
 * - 'mc-dropout' (the default whenever the model has dropout, as the paper's head does: 0.5 and
 *   0.4): each sample is a forward pass with only the dropout layers on, an approximate draw from
 *   the posterior predictive (Gal & Ghahramani 2016). It measures model (weight) uncertainty, which
 *   is what grows on images unlike the training data, and it is cheap here: the conv trunk runs once
 *   and only the layers downstream of the first dropout are re-run, all samples in one batch.
 * - 'tta' (used when the model has no dropout): each sample sees the image shifted by a few pixels
 *   and jittered in brightness/contrast, within what a different exposure or positioning gives. It
 *   measures input sensitivity; it costs a full forward pass per sample.
 * - 'mc-dropout+tta': both at once, when asked for.
 * Every sample goes through the same temperature as the point estimate, so the band is on the
 * calibrated scale. The band is the 2.5th to 97.5th percentile of the samples, widened where needed
 * to contain the point estimate (the deterministic calibrated probability shown to the user), so a
 * displayed number never sits outside its own band.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelGraph } from '../models/forwardPass';
import { seededRandom } from '../training/seededRandom';
import type { Band } from '../../shared/worklist';

export type BandMethod = 'mc-dropout' | 'tta' | 'mc-dropout+tta';

export class BandError extends Error {
  override name = 'BandError';
  constructor(reason: string) {
    super(`confidence band: ${reason}`);
  }
}

/** MC dropout where the model has dropout, else test-time augmentation. */
export function defaultBandMethod(graph: ModelGraph): BandMethod {
  return graph.hasDropout ? 'mc-dropout' : 'tta';
}

/** Linear-interpolated quantile of a sorted array. */
function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < sorted.length ? sorted[i]! * (1 - f) + sorted[i + 1]! * f : sorted[i]!;
}

/** Per class: the central `level` interval of the samples, widened to hold the point estimate. */
export function percentileBand(samples: readonly ArrayLike<number>[], point: ArrayLike<number>, level = 0.95): Band[] {
  if (samples.length === 0) throw new BandError('no samples to take a band from');
  const a = (1 - level) / 2;
  return Array.from({ length: point.length }, (_, k) => {
    const col = samples.map((s) => s[k]!).sort((x, y) => x - y);
    return { lo: Math.min(quantile(col, a), point[k]!), hi: Math.max(quantile(col, 1 - a), point[k]!) };
  });
}


/**
 * One augmented copy of a [B, H, W, C] batch: shifted by up to `shift` of the side (mirror-padded),
 * contrast x(1 ± 0.08) about the image mean, brightness ± 0.04 of the input's range.
 */
function augment(x: tf.Tensor4D, r: () => number, shift = 0.04): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const m = Math.max(1, Math.round(Math.min(h, w) * shift));
    const padded = tf.mirrorPad(x, [[0, 0], [m, m], [m, m], [0, 0]], 'symmetric');
    const dy = Math.floor(r() * (2 * m + 1));
    const dx = Math.floor(r() * (2 * m + 1));
    const moved = tf.slice(padded, [0, dy, dx, 0], [-1, h, w, -1]);
    const mean = tf.mean(moved, [1, 2, 3], true);
    const range = tf.sub(tf.max(x), tf.min(x));
    const contrast = 1 + (r() * 2 - 1) * 0.08;
    const brightness = tf.mul(range, (r() * 2 - 1) * 0.04);
    return tf.add(tf.add(tf.mul(tf.sub(moved, mean), contrast), mean), brightness) as tf.Tensor4D;
  });
}

export interface BandSamples {
  /** Calibrated probabilities, [samples, batch, classes] row-major. */
  data: Float32Array;
  shape: [number, number, number];
  method: BandMethod;
}

/**
 * Draws `nSamples` calibrated probability vectors per image of the batch `x` ([B, H, W, C]).
 * `base` is a deterministic forward pass of x (from graph.forward), reused by MC dropout.
 */
export async function sampleProbabilities(
  graph: ModelGraph,
  x: tf.Tensor4D,
  opts: { method: BandMethod; nSamples: number; temperature: number; base?: Map<number, tf.Tensor>; seed?: number },
): Promise<BandSamples> {
  const { method, nSamples: s, temperature } = opts;
  if (!(s >= 2)) throw new BandError(`need at least 2 samples, got ${s}`);
  if (method !== 'tta' && !graph.hasDropout) throw new BandError(`method ${method} needs dropout, and model ${graph.model.name} has none`);
  const b = x.shape[0];
  const probs = tf.tidy(() => {
    let logits: tf.Tensor2D;
    if (method === 'mc-dropout') {
      const base = opts.base ?? graph.forward(x, true);
      // Only the layers downstream of a dropout run again, on the batch repeated s times.
      const fresh = graph.run({ overrides: new Map(), base, dropout: true, repeat: s });
      logits = graph.logits(fresh, base);
    } else {
      // Seeded: the same image gets the same augmentations, hence the same TTA band.
      const r = seededRandom(opts.seed ?? 0x5eed);
      const copies = Array.from({ length: s }, () => augment(x, r));
      const xs = tf.concat(copies, 0);
      const values = graph.run({ overrides: new Map([[graph.inputId, xs]]), dropout: method === 'mc-dropout+tta', fuse: true });
      logits = graph.logits(values);
    }
    return tf.softmax(tf.div(logits, temperature));
  });
  const data = (await probs.data()) as Float32Array;
  const k = probs.shape[1]!;
  probs.dispose();
  return { data, shape: [s, b, k], method };
}

/** The band of image `i` of a sampled batch. */
export function bandOf(samples: BandSamples, i: number, point: ArrayLike<number>, level = 0.95): Band[] {
  const [s, b, k] = samples.shape;
  const rows = Array.from({ length: s }, (_, j) => samples.data.subarray((j * b + i) * k, (j * b + i + 1) * k));
  return percentileBand(rows, point, level);
}
