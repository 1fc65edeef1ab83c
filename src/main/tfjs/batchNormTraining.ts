/**
 * Batch normalization in training mode as one op with its closed-form gradient, for NHWC input
 * normalized per channel (cxrResNet's convBn).
 *
 * Why: tfjs-layers trains batch norm as tf.moments + tf.batchNorm, whose gradient runs through the
 * mean, the variance and FusedBatchNorm's own gradient: about twenty full-size passes per layer, one
 * of them a Tile of 1/σ to the activation's shape, and the wasm Tile kernel is a scalar loop (740 ms
 * for a 32×64×64×32 map). Profiled on a cxrResNet training step on wasm (bench/profileStep.ts), Tile,
 * Sum and Mean from batch norm took 2.1 s of a 6.3 s step. Here the forward pass is 2 channel means
 * and 4 elementwise ops, the backward pass 2 channel means and 5 elementwise ops, all on XNNPACK's
 * fast elementwise kernels. A channel mean is a global average pool then a mean over the batch:
 * 6 ms for that map against 36 ms for tf.sum over [0, 1, 2] (which transposes first) and 370 ms for a
 * matrix product with ones (XNNPACK packs the activation as weights).
 *
 * Same numbers as the stock layer (biased variance, moving averages as tfjs-layers updates them),
 * gradients within float rounding: __tests__/batchNormTraining.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { simdBatchNorm } from './wasmBatchNormTraining';

/** Per-channel mean of an NHWC tensor, as a [C] tensor. */
function channelMean(t: tf.Tensor4D): tf.Tensor1D {
  const [, h, w, c] = t.shape;
  const pooled = tf.avgPool(t, [h, w], [h, w], 'valid'); // [N, 1, 1, C]
  return tf.reshape(tf.mean(pooled, 0), [c]);
}

export interface BatchNormTrainingResult {
  y: tf.Tensor4D;
  /** The batch's per-channel mean and (biased) variance, for the moving averages; the caller disposes them. */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * y = γ·(x − μ)/√(σ² + ε) + β with μ, σ² the batch's per-channel mean and biased variance, and the
 * gradient with respect to x, γ and β through μ and σ² as well:
 * dβ = Σdy, dγ = Σ dy·x̂, dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂)).
 */
export function batchNormTraining(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainingResult {
  let mean: tf.Tensor1D | undefined;
  let variance: tf.Tensor1D | undefined;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, g, b, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const simd = simdBatchNorm(xi);
    if (simd) {
      // The same passes in SIMD kernels on wasm (wasmBatchNormTraining.ts); x is saved instead of x − μ.
      const r = simd.forward(xi, g, b, epsilon);
      mean = tf.keep(r.mean);
      variance = tf.keep(r.variance);
      save([xi, r.mean, r.invStd, g]);
      return {
        value: r.y,
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const [xs, ms, is, gs] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
          return simd.backward((Array.isArray(dy) ? dy[0]! : dy) as tf.Tensor4D, xs, ms, is, gs);
        },
      };
    }
    const m = channelMean(xi);
    const d = tf.sub(xi, m) as tf.Tensor4D;
    const v = channelMean(tf.square(d) as tf.Tensor4D);
    const invStd = tf.rsqrt(tf.add(v, epsilon));
    const y = tf.add(tf.mul(d, tf.mul(g, invStd)), b);
    mean = tf.keep(m);
    variance = tf.keep(v);
    save([d, invStd, g]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [ds, is, gs] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
        const dyt = (Array.isArray(dy) ? dy[0]! : dy) as tf.Tensor4D;
        const count = dyt.size / dyt.shape[3];
        const meanDy = channelMean(dyt);
        const meanDyD = channelMean(tf.mul(dyt, ds) as tf.Tensor4D);
        const a = tf.mul(gs, is); // γ/σ
        // dx = a·dy − a·σ⁻²·mean(dy·d)·d − a·mean(dy)   (x̂ = d/σ)
        const bd = tf.neg(tf.mul(a, tf.mul(tf.square(is), meanDyD)));
        const dx = tf.sub(tf.add(tf.mul(dyt, a), tf.mul(ds, bd)), tf.mul(a, meanDy));
        const dGamma = tf.mul(tf.mul(meanDyD, is), count);
        const dBeta = tf.mul(meanDy, count);
        return [dx, dGamma, dBeta];
      },
    };
  });
  const y = op(x, gamma, beta) as tf.Tensor4D;
  return { y, mean: mean!, variance: variance! };
}

/** The parts of tfjs-layers' BatchNormalization this module reads (private in its typings). */
interface BatchNormFields {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

type BatchNormArgs = Parameters<typeof tf.layers.batchNormalization>[0];
type LayerClass = new (args: BatchNormArgs) => tf.layers.Layer;

let FastBatchNormalization: LayerClass | undefined;

/**
 * tfjs-layers' BatchNormalization whose training-mode call is batchNormTraining. It keeps the stock
 * class name and config, so a saved model is the same model.json and loads as the stock layer
 * (inference never takes this path). Other shapes and settings go to the stock call.
 */
function fastClass(): LayerClass {
  if (FastBatchNormalization) return FastBatchNormalization;
  // The class tf.layers builds (tfjs does not export it): the same one the model loader registers.
  const Stock = tf.layers.batchNormalization({}).constructor as LayerClass;
  FastBatchNormalization = class extends Stock {
    override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
      const input = Array.isArray(inputs) ? inputs[0]! : inputs;
      const f = this as unknown as BatchNormFields;
      const lastAxis = f.axis === -1 || f.axis === input.rank - 1;
      if (!kwargs.training || input.rank !== 4 || !lastAxis || !f.center || !f.scale) return super.call(inputs, kwargs);
      return tf.tidy(() => {
        const { y, mean, variance } = batchNormTraining(input as tf.Tensor4D, f.gamma.read() as tf.Tensor1D, f.beta.read() as tf.Tensor1D, f.epsilon);
        for (const [moving, value] of [
          [f.movingMean, mean],
          [f.movingVariance, variance],
        ] as const) {
          const old = moving.read();
          moving.write(tf.sub(old, tf.mul(tf.sub(old, value), 1 - f.momentum)));
        }
        tf.dispose([mean, variance]);
        return y;
      });
    }
  };
  return FastBatchNormalization;
}

/** A drop-in for tf.layers.batchNormalization that trains faster (see the top of this file). */
export function fastBatchNormalization(args: BatchNormArgs): tf.layers.Layer {
  return new (fastClass())(args);
}
