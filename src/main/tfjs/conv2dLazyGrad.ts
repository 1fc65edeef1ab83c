/**
 * tfjs-layers' Conv2D that, without a bias or an activation, convolves with tf.conv2d instead of
 * tf.fused.conv2d.
 *
 * Why: the fused op's gradient is a customGrad that computes the input gradient and the filter
 * gradient together, whether or not the input needs one. For the first conv of a model the input
 * is the image, whose gradient nothing uses; tf.conv2d's registered gradient is computed per input
 * and only where needed. In cxrResNet's training step on wasm that wasted input gradient of the 5×5
 * stride-2 stem was 311 ms of a 6.3 s step (bench/profileStep.ts), the stride-2 input gradient being
 * wasm's scalar loop. Same forward result (XNNPACK runs both), the same class name and config, so
 * saved models are unchanged: __tests__/conv2dLazyGrad.test.ts.
 */
import * as tf from '@tensorflow/tfjs';

/** The parts of tfjs-layers' Conv2D this module reads (protected in its typings). */
interface ConvFields {
  rank: number;
  useBias: boolean;
  activation: { getClassName(): string };
  kernel: tf.LayerVariable;
  strides: [number, number];
  padding: 'same' | 'valid' | 'causal';
  dataFormat: 'channelsLast' | 'channelsFirst';
  dilationRate: [number, number];
}

type ConvArgs = Parameters<typeof tf.layers.conv2d>[0];
type LayerClass = new (args: ConvArgs) => tf.layers.Layer;

let LazyConv2D: LayerClass | undefined;

function lazyClass(): LayerClass {
  if (LazyConv2D) return LazyConv2D;
  // The class tf.layers builds (tfjs does not export it): the one the model loader registers.
  const Stock = tf.layers.conv2d({ filters: 1, kernelSize: 1 }).constructor as LayerClass;
  LazyConv2D = class extends Stock {
    override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
      const f = this as unknown as ConvFields;
      const plain = f.rank === 2 && !f.useBias && f.activation.getClassName() === 'linear' && f.dataFormat === 'channelsLast' && f.padding !== 'causal';
      if (!plain) return super.call(inputs, kwargs);
      const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor4D;
      return tf.conv2d(x, f.kernel.read() as tf.Tensor4D, f.strides, f.padding as 'same' | 'valid', 'NHWC', f.dilationRate);
    }
  };
  return LazyConv2D;
}

/** A drop-in for tf.layers.conv2d (see the top of this file). */
export function lazyGradConv2d(args: ConvArgs): tf.layers.Layer {
  return new (lazyClass())(args);
}
