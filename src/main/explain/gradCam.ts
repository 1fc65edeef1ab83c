/**
 * Grad-CAM (Selvaraju et al. 2017) for the predicted class at the last convolutional block: the
 * block's feature maps weighted by the spatially averaged gradient of the class logit, rectified
 * and scaled to [0, 1].
 *
 * Our architectures pool every block straight into the head (the paper's multi-scale global max
 * pooling), so a class can rest entirely on earlier blocks: the last block's map is then all zero,
 * which explains nothing. For such an image we step back to the deepest block whose map has
 * positive evidence, and say which block it is (`layer`). The gradient is taken through the rest of the real graph (ModelGraph
 * re-runs only what is downstream of the conv output, with the other branches, such as the paper's
 * pooled earlier blocks, held at their values), so it is the model's own head, not a stand-in.
 *
 * The map is at the conv block's resolution (10 × 10 for an 80 px input); it covers the whole
 * image because the preprocessing stretches the image to the square input.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelGraph } from '../models/forwardPass';
import { registerWasmTrainingKernels } from '../tfjs/wasmKernels';

export interface Heatmap {
  /** Row-major, values in [0, 1] (all 0 when no feature of any block pushes the class up). */
  data: Float32Array;
  shape: [number, number];
  /** The conv layer whose feature map it is (the last block's unless that one was all zero). */
  layer: string;
}

export class GradCamError extends Error {
  override name = 'GradCamError';
  constructor(reason: string) {
    super(`Grad-CAM: ${reason}`);
  }
}

/**
 * Heatmaps for a batch `x` ([B, H, W, C]), each for its class in `classes` (default: the predicted
 * one). Returns the classes used alongside.
 */
export async function gradCam(graph: ModelGraph, x: tf.Tensor4D, classes?: readonly number[]): Promise<{ heatmaps: Heatmap[]; classes: number[] }> {
  if (!graph.lastConv) throw new GradCamError(`model ${graph.model.name} has no 4-D convolution output to explain`);
  // The gradient through a large Dense layer takes stock wasm's transposed-BatchMatMul path,
  // 13.5 s for the paper's model; the training kernels make it an ordinary matmul.
  if (tf.getBackend() === 'wasm') registerWasmTrainingKernels();
  const b = x.shape[0];
  const found: (Heatmap | undefined)[] = new Array(b);
  let used: number[] = classes ? [...classes] : [];
  if (used.length && used.length !== b) throw new GradCamError(`${used.length} classes given for ${b} images`);
  if (!used.length) {
    // Read asynchronously: WebGPU in Node has no synchronous read (it needs a browser canvas).
    const predicted = tf.tidy(() => tf.argMax(graph.logits(graph.forward(x)), 1));
    used = Array.from(await predicted.data());
    predicted.dispose();
  }
  // Deepest block first; shallower blocks only for the images still without evidence.
  for (const block of [...graph.convBlocks].reverse()) {
    const cams = tf.tidy(() => {
      const base = graph.forward(x);
      const logits = graph.logits(base);
      const mask = tf.oneHot(tf.tensor1d(used, 'int32'), logits.shape[1]);
      const a = base.get(block.ref.id)! as tf.Tensor4D;
      // The images do not interact (inference mode), so one gradient of the summed selected
      // logits gives each image its own gradient.
      const score = (features: tf.Tensor) => {
        const fresh = graph.run({ overrides: new Map([[block.ref.id, features]]), base });
        return tf.sum(tf.mul(graph.logits(fresh, base), mask));
      };
      const grads = tf.grad(score)(a) as tf.Tensor4D;
      const weights = tf.mean(grads, [1, 2], true);
      const cam = tf.relu(tf.sum(tf.mul(a, weights), 3)) as tf.Tensor3D;
      const max = tf.max(cam, [1, 2], true);
      return tf.div(cam, tf.maximum(max, 1e-12)) as tf.Tensor3D;
    });
    const [, h, w] = cams.shape;
    const all = (await cams.data()) as Float32Array;
    cams.dispose();
    for (let i = 0; i < b; i++) {
      if (found[i] && found[i]!.data.some((v) => v > 0)) continue;
      const data = all.slice(i * h * w, (i + 1) * h * w);
      // Keep the deepest map even when it is all zero, so an image with no evidence anywhere
      // still gets the last block's (empty) map.
      if (!found[i] || data.some((v) => v > 0)) found[i] = { data, shape: [h, w], layer: block.name };
    }
    if (found.every((m) => m && m.data.some((v) => v > 0))) break;
  }
  return { heatmaps: found as Heatmap[], classes: used };
}
