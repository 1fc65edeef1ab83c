import * as tf from '@tensorflow/tfjs';

/**
 * The published Keras model of Zhong (2020), layer for layer (PAPER.md): four 3×3 ELU conv blocks,
 * global max pooling of each pooled block output, concatenated with the flattened last conv
 * output, then Dense 4096 → Dropout 0.5 → Dense 2048 → Dropout 0.4 → Dense 3 softmax.
 * 63,148,835 parameters, 54M of them in the first Dense layer.
 */
export function zhong2020(inputSize = 80): tf.LayersModel {
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'image' });
  const conv = (filters: number, name: string) =>
    tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'elu', name });
  const pool = (name: string) => tf.layers.maxPooling2d({ poolSize: 2, name });
  const gmp = (name: string) => tf.layers.globalMaxPooling2d({ name });

  let x = conv(32, 'block1_conv1').apply(input) as tf.SymbolicTensor;
  x = conv(32, 'block1_conv2').apply(x) as tf.SymbolicTensor;
  const p1 = pool('block1_pool').apply(x) as tf.SymbolicTensor;
  x = conv(64, 'block2_conv1').apply(p1) as tf.SymbolicTensor;
  x = conv(64, 'block2_conv2').apply(x) as tf.SymbolicTensor;
  const p2 = pool('block2_pool').apply(x) as tf.SymbolicTensor;
  x = conv(128, 'block3_conv1').apply(p2) as tf.SymbolicTensor;
  x = conv(128, 'block3_conv2').apply(x) as tf.SymbolicTensor;
  x = conv(128, 'block3_conv3').apply(x) as tf.SymbolicTensor;
  const p3 = pool('block3_pool').apply(x) as tf.SymbolicTensor;
  x = conv(128, 'block4_conv1').apply(p3) as tf.SymbolicTensor;
  x = conv(128, 'block4_conv2').apply(x) as tf.SymbolicTensor;
  const c4 = conv(128, 'block4_conv3').apply(x) as tf.SymbolicTensor;
  const p4 = pool('block4_pool').apply(c4) as tf.SymbolicTensor;

  const pooled = tf.layers
    .concatenate({ name: 'multiscale_gmp' })
    .apply([gmp('gmp1').apply(p1), gmp('gmp2').apply(p2), gmp('gmp3').apply(p3), gmp('gmp4').apply(p4)] as tf.SymbolicTensor[]);
  const flat = tf.layers.flatten({ name: 'block4_flatten' }).apply(c4);
  let h = tf.layers.concatenate({ name: 'features' }).apply([pooled, flat] as tf.SymbolicTensor[]) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: 4096, activation: 'elu', name: 'fc1' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dropout({ rate: 0.5, name: 'fc1_dropout' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: 2048, activation: 'elu', name: 'fc2' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dropout({ rate: 0.4, name: 'fc2_dropout' }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'zhong2020' });
}
