import * as tf from '@tensorflow/tfjs';
import { multiScaleMaxPool, zhongTrunk } from './zhongTrunk';

/**
 * The published Keras model of Zhong (2020), layer for layer (PAPER.md): four 3×3 ELU conv blocks,
 * global max pooling of each pooled block output, concatenated with the flattened last conv
 * output, then Dense 4096 → Dropout 0.5 → Dense 2048 → Dropout 0.4 → Dense 3 softmax.
 * 63,148,835 parameters, 54M of them in the first Dense layer.
 */
export function zhong2020(inputSize = 80): tf.LayersModel {
  const trunk = zhongTrunk(inputSize);
  const pooled = tf.layers.concatenate({ name: 'multiscale_gmp' }).apply(multiScaleMaxPool(trunk));
  const flat = tf.layers.flatten({ name: 'block4_flatten' }).apply(trunk.lastConv);
  let h = tf.layers.concatenate({ name: 'features' }).apply([pooled, flat] as tf.SymbolicTensor[]) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: 4096, activation: 'elu', name: 'fc1' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dropout({ rate: 0.5, name: 'fc1_dropout' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: 2048, activation: 'elu', name: 'fc2' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dropout({ rate: 0.4, name: 'fc2_dropout' }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: trunk.input, outputs: out, name: 'zhong2020' });
}
