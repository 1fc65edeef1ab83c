import * as tf from '@tensorflow/tfjs';

/**
 * A miniature of the paper's topology: two conv blocks, a global max pool of the first block
 * concatenated with the flattened last conv output, a dense head with dropout, softmax over 3.
 */
export function tinyBranchedModel(opts: { dropout?: number; size?: number; seed?: number; channels?: number } = {}): tf.LayersModel {
  const size = opts.size ?? 16;
  const seed = opts.seed ?? 1;
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed + s });
  const input = tf.input({ shape: [size, size, opts.channels ?? 1] });
  const c1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'elu', kernelInitializer: init(1) }).apply(input) as tf.SymbolicTensor;
  const p1 = tf.layers.maxPooling2d({ poolSize: 2 }).apply(c1) as tf.SymbolicTensor;
  const c2 = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'elu', kernelInitializer: init(2) }).apply(p1) as tf.SymbolicTensor;
  const g1 = tf.layers.globalMaxPooling2d({}).apply(p1) as tf.SymbolicTensor;
  const f2 = tf.layers.flatten().apply(c2) as tf.SymbolicTensor;
  const cat = tf.layers.concatenate().apply([g1, f2]) as tf.SymbolicTensor;
  let h = tf.layers.dense({ units: 16, activation: 'elu', kernelInitializer: init(3) }).apply(cat) as tf.SymbolicTensor;
  if (opts.dropout) h = tf.layers.dropout({ rate: opts.dropout }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(4) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** A random but fixed batch of images in [0, 1]. */
export function randomImages(n: number, size = 16, seed = 3): tf.Tensor4D {
  return tf.randomUniform([n, size, size, 1], 0, 1, 'float32', seed) as tf.Tensor4D;
}
