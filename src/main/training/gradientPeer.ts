import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { startWorker } from '../workers/startWorker';
import type { ArchitectureName } from '../models/architectures';

/**
 * Data-parallel training on the CPU: tfjs runs wasm single-threaded in Node, so a second core
 * works through a second wasm backend in a worker thread. Each batch, the peer gets the current
 * weights and half of the batch, and returns the gradient of its half's loss; train.ts averages it
 * with its own half's, weighted by the halves' sizes, and takes one Adam step.
 */

/** One half-batch, as the training loop builds it. */
export interface HalfBatch {
  /** m × crop × crop × channels, in [0, 1]. */
  x: Float32Array;
  labels: Int32Array;
  /** Per-image class weight. */
  weights: Float32Array;
}

export interface PeerResult {
  /** One per trainable variable, in the model's order: the gradient of the half's mean loss. */
  grads: Float32Array[];
  loss: number;
  accuracy: number;
}

export type PeerRequest =
  | { type: 'init'; arch: ArchitectureName }
  | { type: 'step'; id: number; weights: Float32Array[]; batch: HalfBatch; labelSmoothing: number; training: boolean; seed: number };
export type PeerReply = { type: 'ready' } | ({ type: 'step'; id: number } & PeerResult) | { type: 'error'; message: string };

/** The training loss: label-smoothed, class-weighted cross-entropy, and accuracy (train.ts and the peer). */
export function batchLoss(
  model: tf.LayersModel,
  batch: HalfBatch,
  crop: number,
  channels: number,
  labelSmoothing: number,
  training: boolean,
): { loss: tf.Scalar; accuracy: tf.Scalar } {
  return tf.tidy(() => {
    const x = tf.tensor4d(batch.x, [batch.labels.length, crop, crop, channels]);
    const labels = tf.tensor1d(batch.labels, 'int32');
    const k = model.outputs[0]!.shape[1]!;
    const y = tf.add(tf.mul(tf.oneHot(labels, k).toFloat(), 1 - labelSmoothing), labelSmoothing / k);
    const probs = model.apply(x, { training }) as tf.Tensor2D;
    const ce = tf.neg(tf.sum(tf.mul(y, tf.log(tf.clipByValue(probs, 1e-7, 1 - 1e-7))), 1));
    const accuracy = tf.mean(tf.cast(tf.equal(tf.argMax(probs, 1), labels), 'float32')) as tf.Scalar;
    return { loss: tf.mean(tf.mul(ce, tf.tensor1d(batch.weights))) as tf.Scalar, accuracy };
  });
}

export class GradientPeer {
  private nextId = 1;
  private pending = new Map<number, { resolve: (r: PeerResult) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: PeerReply) => {
      if (m.type === 'step') {
        this.pending.get(m.id)?.resolve(m);
        this.pending.delete(m.id);
      } else if (m.type === 'error') this.fail(new Error(`gradient peer: ${m.message}`));
    });
    worker.on('error', (e) => this.fail(e));
    worker.on('exit', (code) => this.fail(new Error(`gradient peer exited with code ${code}`)));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }

  /** Starts the worker and builds the architecture there; resolves when it can take steps. */
  static async start(arch: ArchitectureName): Promise<GradientPeer> {
    const worker = startWorker('gradientPeer');
    const ready = new Promise<void>((resolve, reject) => {
      const onMessage = (m: PeerReply): void => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'error') reject(new Error(`gradient peer: ${m.message}`));
        if (m.type !== 'step') worker.off('message', onMessage);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    worker.postMessage({ type: 'init', arch } satisfies PeerRequest);
    try {
      await ready;
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return new GradientPeer(worker);
  }

  /**
   * The gradient of `batch` at `weights`. Arrays that own their whole buffer are moved to the
   * worker, not copied (the caller must not use them afterwards); views into a larger buffer
   * (a wasm heap) are copied.
   */
  compute(weights: Float32Array[], batch: HalfBatch, labelSmoothing: number, training: boolean, seed: number): Promise<PeerResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const owned = [...weights, batch.x, batch.labels, batch.weights]
      .filter((a) => a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer)
      .map((a) => a.buffer as ArrayBuffer);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const msg: PeerRequest = { type: 'step', id, weights, batch, labelSmoothing, training, seed };
      this.worker.postMessage(msg, [...new Set(owned)]);
    });
  }

  async close(): Promise<void> {
    this.failure ??= new Error('gradient peer closed');
    await this.worker.terminate();
  }
}
