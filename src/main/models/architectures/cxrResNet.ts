import * as tf from '@tensorflow/tfjs';
import { fastBatchNormalization } from '../../tfjs/batchNormTraining';
import { lazyGradConv2d } from '../../tfjs/conv2dLazyGrad';

/** Stage widths and residual blocks per stage of the compact residual network. */
export interface ResNetShape {
  stem: number;
  widths: [number, number, number, number];
  blocks: [number, number, number, number];
  dropout: number;
}

export const CXR_RESNET_SHAPE: ResNetShape = { stem: 32, widths: [32, 64, 128, 256], blocks: [1, 1, 1, 1], dropout: 0.2 };

type T = tf.SymbolicTensor;
const apply = (layer: tf.layers.Layer, x: T | T[]): T => layer.apply(x) as T;

/**
 * Conv → batch norm (→ ReLU). The conv and batch norm layers are the stock ones with faster training
 * paths (conv2dLazyGrad.ts, batchNormTraining.ts); saved models hold the stock layers.
 */
function convBn(x: T, filters: number, kernel: number, stride: number, name: string, relu: boolean): T {
  let h = apply(lazyGradConv2d({ filters, kernelSize: kernel, strides: stride, padding: 'same', useBias: false, kernelInitializer: 'heNormal', name: `${name}_conv` }), x);
  h = apply(fastBatchNormalization({ momentum: 0.9, epsilon: 1e-3, name: `${name}_bn` }), h);
  return relu ? apply(tf.layers.reLU({ name: `${name}_relu` }), h) : h;
}

/** A basic residual block (two 3×3 convs); a strided 1×1 projection where the shape changes. */
function basicBlock(x: T, filters: number, stride: number, name: string): T {
  const inFilters = x.shape[3]!;
  let h = convBn(x, filters, 3, stride, `${name}_a`, true);
  h = convBn(h, filters, 3, 1, `${name}_b`, false);
  const shortcut = stride !== 1 || inFilters !== filters ? convBn(x, filters, 1, stride, `${name}_proj`, false) : x;
  const sum = apply(tf.layers.add({ name: `${name}_add` }), [h, shortcut]);
  return apply(tf.layers.reLU({ name: `${name}_out` }), sum);
}

/**
 * The default model: a small residual CNN with batch norm and global average pooling (ResNet-18's
 * pattern at a fraction of its width and depth), gray input. A 5×5 stride-2 stem and a max pool
 * bring 128 px to 32 px; four stages halve it to 4 px. Global average pooling (rather than a
 * flattened map) keeps the head from keying on where in the frame a cue sits; dropout before the
 * classifier gives the Monte Carlo bands their spread.
 */
export function cxrResNet(inputSize = 128, shape: ResNetShape = CXR_RESNET_SHAPE): tf.LayersModel {
  const input = tf.input({ shape: [inputSize, inputSize, 1], name: 'image' });
  let x = convBn(input, shape.stem, 5, 2, 'stem', true);
  x = apply(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same', name: 'stem_pool' }), x);
  shape.widths.forEach((w, s) => {
    for (let b = 0; b < shape.blocks[s]!; b++) x = basicBlock(x, w, b === 0 && s > 0 ? 2 : 1, `stage${s + 1}_block${b + 1}`);
  });
  let h = apply(tf.layers.globalAveragePooling2d({ name: 'gap' }), x);
  h = apply(tf.layers.dropout({ rate: shape.dropout, name: 'gap_dropout' }), h);
  const out = apply(tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }), h);
  return tf.model({ inputs: input, outputs: out, name: 'cxrResNet' });
}
