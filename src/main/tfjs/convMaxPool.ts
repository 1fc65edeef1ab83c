/**
 * A conv (bias, ReLU or ELU) and the 2×2 stride-2 max pool after it as one op, for inference
 * (models/forwardPass.ts fuses a Conv2D → MaxPooling2D pair when asked). On wasm with our kernels
 * the Winograd output transform pools each tile before it stores it (simd/winograd.c, flag 8):
 * cxrResNet's stem writes a quarter of its 16.8 MB output at batch 32 and no MaxPool reads it back.
 * Elsewhere, and where our kernels decline (odd conv output sizes, other filters), it is the two
 * stock ops; either way the values are the two layers' (the epilogue is monotonic, so pooling before
 * or after it is the same). No gradient: inference only.
 */
import * as tf from '@tensorflow/tfjs';

export const CONV_MAX_POOL = 'CxrConv2DMaxPool';

export interface ConvMaxPoolArgs {
  x: tf.Tensor4D;
  filter: tf.Tensor4D;
  bias?: tf.Tensor;
  strides: [number, number];
  pad: 'same' | 'valid';
  activation: 'linear' | 'relu' | 'elu';
  /** The pool's padding: 'same' and 'valid' differ only for odd conv outputs. */
  poolPad: 'same' | 'valid';
}

/** The kernel's attributes. */
export type ConvMaxPoolAttrs = Omit<ConvMaxPoolArgs, 'x' | 'filter' | 'bias'>;

/** The two stock ops, which the kernels fall back on. */
export function convThenPool(a: ConvMaxPoolArgs): tf.Tensor4D {
  return tf.tidy(() => tf.maxPool(tf.fused.conv2d({ x: a.x, filter: a.filter, bias: a.bias, strides: a.strides, pad: a.pad, activation: a.activation }), 2, 2, a.poolPad));
}

/** maxPool(act(conv(x, filter) + bias), 2, 2): one kernel where the active backend registers one. */
export function conv2dMaxPool(a: ConvMaxPoolArgs): tf.Tensor4D {
  if (!tf.getKernel(CONV_MAX_POOL, tf.getBackend())) return convThenPool(a);
  const inputs: tf.NamedTensorMap = { x: a.x, filter: a.filter, ...(a.bias ? { bias: a.bias } : {}) };
  const attrs: ConvMaxPoolAttrs = { strides: a.strides, pad: a.pad, activation: a.activation, poolPad: a.poolPad };
  return tf.engine().runKernel(CONV_MAX_POOL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
