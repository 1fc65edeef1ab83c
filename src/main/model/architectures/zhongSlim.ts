import * as tf from '@tensorflow/tfjs';

/**
 * The compact default: the zhong2020 trunk at a fraction of its width, with the paper's
 * multi-scale global max pooling plus global average pooling of the last block feeding a small
 * head instead of the 54M-weight Flatten→Dense. Roughly width² times fewer conv FLOPs, a few
 * hundred kilobytes of weights, so it trains and infers on one wasm thread at useful speed.
 */
export function zhongSlim(inputSize = 80, width = 0.5): tf.LayersModel {
  const w = (n: number) => Math.max(8, Math.round(n * width));
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'image' });
  const conv = (filters: number, name: string) =>
    tf.layers.conv2d({ filters: w(filters), kernelSize: 3, padding: 'same', activation: 'elu', name });
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

  const features = tf.layers.concatenate({ name: 'features' }).apply([
    gmp('gmp1').apply(p1),
    gmp('gmp2').apply(p2),
    gmp('gmp3').apply(p3),
    gmp('gmp4').apply(p4),
    tf.layers.globalAveragePooling2d({ name: 'gap4' }).apply(c4),
  ] as tf.SymbolicTensor[]) as tf.SymbolicTensor;
  let h = tf.layers.dropout({ rate: 0.3, name: 'features_dropout' }).apply(features) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: 128, activation: 'elu', name: 'fc1' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dropout({ rate: 0.3, name: 'fc1_dropout' }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'zhongSlim' });
}
