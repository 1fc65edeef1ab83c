/**
 * Grad-CAM (Selvaraju et al. 2017) for the predicted class at the last convolutional block: the
 * block's feature maps weighted by the spatially averaged gradient of the class logit, rectified
 * and scaled to [0, 1]. The gradient is taken through the rest of the real graph (ModelGraph
 * re-runs only what is downstream of the conv output, with the other branches, such as the paper's
 * pooled earlier blocks, held at their values), so it is the model's own head, not a stand-in.
 *
 * The map is at the conv block's resolution (10 × 10 for an 80 px input); it covers the whole
 * image because the preprocessing stretches the image to the square input.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelGraph } from './forwardPass';
import { registerWasmTrainingKernels } from './wasmKernels';

export interface Heatmap {
  /** Row-major, values in [0, 1] (all 0 when no feature pushes the class up). */
  data: Float32Array;
  shape: [number, number];
}

export class GradCamError extends Error {
  override name = 'GradCamError';
  constructor(reason: string) {
    super(`gradCam.ts: ${reason}`);
  }
}

/**
 * Heatmaps for a batch `x` ([B, H, W, C]), each for its class in `classes` (default: the predicted
 * one). Returns the classes used alongside.
 */
export async function gradCam(graph: ModelGraph, x: tf.Tensor4D, classes?: readonly number[]): Promise<{ heatmaps: Heatmap[]; classes: number[] }> {
  const conv = graph.lastConv;
  if (!conv) throw new GradCamError(`model ${graph.model.name} has no 4-D convolution output to explain`);
  // The gradient through a large Dense layer takes stock wasm's transposed-BatchMatMul path,
  // 13.5 s for the paper's model; the training kernels make it an ordinary matmul.
  if (tf.getBackend() === 'wasm') registerWasmTrainingKernels();
  const b = x.shape[0];
  const [cams, used] = tf.tidy(() => {
    const base = graph.forward(x);
    const logits = graph.logits(base);
    const cls = classes ? [...classes] : (tf.argMax(logits, 1).arraySync() as number[]);
    if (cls.length !== b) throw new GradCamError(`${cls.length} classes given for ${b} images`);
    const k = logits.shape[1];
    const mask = tf.oneHot(tf.tensor1d(cls, 'int32'), k);
    const a = base.get(conv.id)! as tf.Tensor4D;
    // The images do not interact (inference mode), so one gradient of the summed selected logits
    // gives each image's own gradient.
    const score = (features: tf.Tensor) => {
      const fresh = graph.run({ overrides: new Map([[conv.id, features]]), base });
      return tf.sum(tf.mul(graph.logits(fresh, base), mask));
    };
    const grads = tf.grad(score)(a) as tf.Tensor4D;
    const weights = tf.mean(grads, [1, 2], true);
    const cam = tf.relu(tf.sum(tf.mul(a, weights), 3)) as tf.Tensor3D;
    const max = tf.max(cam, [1, 2], true);
    return [tf.div(cam, tf.maximum(max, 1e-12)), cls] as const;
  });
  const [, h, w] = cams.shape;
  const all = (await cams.data()) as Float32Array;
  cams.dispose();
  const heatmaps = Array.from({ length: b }, (_, i) => ({ data: all.slice(i * h * w, (i + 1) * h * w), shape: [h, w] as [number, number] }));
  return { heatmaps, classes: used };
}
