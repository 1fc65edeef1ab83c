import * as tf from '@tensorflow/tfjs';
import { multiScaleMaxPool, zhongTrunk } from './zhongTrunk';

/**
 * The compact default: the zhong2020 trunk at a fraction of its width, with the paper's
 * multi-scale global max pooling plus global average pooling of the last block feeding a small
 * head instead of the 54M-weight Flatten→Dense. Roughly width² times fewer conv FLOPs, a few
 * hundred kilobytes of weights, so it trains and infers on one wasm thread at useful speed.
 */
export function zhongSlim(inputSize = 80, width = 0.5): tf.LayersModel {
  const trunk = zhongTrunk(inputSize, width);
  const features = tf.layers.concatenate({ name: 'features' }).apply([
    ...multiScaleMaxPool(trunk),
    tf.layers.globalAveragePooling2d({ name: 'gap4' }).apply(trunk.lastConv),
  ] as tf.SymbolicTensor[]) as tf.SymbolicTensor;
  let h = tf.layers.dropout({ rate: 0.3, name: 'features_dropout' }).apply(features) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: 128, activation: 'elu', name: 'fc1' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dropout({ rate: 0.3, name: 'fc1_dropout' }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: trunk.input, outputs: out, name: 'zhongSlim' });
}
