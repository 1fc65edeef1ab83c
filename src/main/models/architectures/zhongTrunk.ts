import * as tf from '@tensorflow/tfjs';

export interface ZhongTrunk {
  input: tf.SymbolicTensor;
  /** The four pooled block outputs, which the paper's head global-max-pools. */
  pooled: [tf.SymbolicTensor, tf.SymbolicTensor, tf.SymbolicTensor, tf.SymbolicTensor];
  /** The last conv output, before its pooling. */
  lastConv: tf.SymbolicTensor;
}

/**
 * The paper's conv trunk: four blocks of 3×3 'same' ELU convs, [32, 32], [64, 64], [128 ×3],
 * [128 ×3], each followed by 2×2 max pooling. `width` scales the filters (1 = the paper's).
 */
export function zhongTrunk(inputSize: number, width = 1): ZhongTrunk {
  const w = (n: number) => (width === 1 ? n : Math.max(8, Math.round(n * width)));
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'image' });
  const blocks: [number, number][] = [
    [32, 2],
    [64, 2],
    [128, 3],
    [128, 3],
  ];
  let x = input;
  let lastConv = input;
  const pooled: tf.SymbolicTensor[] = [];
  blocks.forEach(([filters, convs], b) => {
    for (let c = 1; c <= convs; c++) {
      x = tf.layers
        .conv2d({ filters: w(filters), kernelSize: 3, padding: 'same', activation: 'elu', name: `block${b + 1}_conv${c}` })
        .apply(x) as tf.SymbolicTensor;
    }
    lastConv = x;
    x = tf.layers.maxPooling2d({ poolSize: 2, name: `block${b + 1}_pool` }).apply(x) as tf.SymbolicTensor;
    pooled.push(x);
  });
  return { input, pooled: pooled as ZhongTrunk['pooled'], lastConv };
}

/** Global max pooling of each pooled block output (the paper's multi-scale features). */
export function multiScaleMaxPool(t: ZhongTrunk): tf.SymbolicTensor[] {
  return t.pooled.map((p, i) => tf.layers.globalMaxPooling2d({ name: `gmp${i + 1}` }).apply(p) as tf.SymbolicTensor);
}
