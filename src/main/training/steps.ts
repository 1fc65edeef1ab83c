/**
 * One optimisation step on a batch: in this thread, or data-parallel with the gradient peer
 * computing the second half's gradient meanwhile (gradientPeer.ts); the two gradients are averaged,
 * weighted by the halves' sizes, into one Adam step.
 */
import * as tf from '@tensorflow/tfjs';
import type { AdamBase } from './leanAdam';
import { batchLoss, type GradientPeer, type HalfBatch, type PeerResult } from './gradientPeer';

export interface StepResult {
  loss: number;
  acc: number;
}

export interface Stepper {
  local(batch: HalfBatch): Promise<StepResult>;
  parallel(peer: GradientPeer, batch: HalfBatch, seed: number): Promise<StepResult>;
}

export function createStepper(model: tf.LayersModel, adam: AdamBase, vars: tf.Variable[], crop: number, channels: number, labelSmoothing: number): Stepper {
  const px = crop * crop * channels;
  const ls = labelSmoothing;
  return {
    async local(batch) {
      let accT: tf.Scalar | undefined;
      const cost = adam.minimize(
        () => {
          const r = batchLoss(model, batch, crop, channels, ls, true);
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
    },

    async parallel(peer, batch, seed) {
      const m = batch.labels.length;
      const mA = Math.ceil(m / 2);
      const part = (from: number, to: number): HalfBatch => ({
        x: batch.x.slice(from * px, to * px),
        labels: batch.labels.slice(from, to),
        weights: batch.weights.slice(from, to),
      });
      const now = await Promise.all(vars.map(async (v) => (await v.data()) as Float32Array));
      const remote = peer.compute(now, part(mA, m), ls, true, seed);
      let accT: tf.Scalar | undefined;
      const { value, grads } = adam.computeGradients(() => {
        const r = batchLoss(model, part(0, mA), crop, channels, ls, true);
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
    },
  };
}
