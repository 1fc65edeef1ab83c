import * as tf from '@tensorflow/tfjs';
import { AdamBase, LeanAdam, type AdamState, type AdamStep } from './leanAdam';

/**
 * Adam with its moments on the backend, for GPU backends (WebGPU, tfjs-node-gpu) and tfjs-node.
 * LeanAdam reads every weight and gradient back to JS each step: right for wasm (4 GB heap) and
 * cpu, but on a GPU it would copy the 63M-weight Dense layer over the bus twice per batch. Same
 * update, same state() layout, so checkpoints move between the two.
 */
export class DeviceAdam extends AdamBase {
  static readonly className = 'DeviceAdam';
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  private moments(name: string, like: tf.Tensor): [tf.Variable, tf.Variable] {
    if (!this.m.has(name)) {
      this.m.set(name, tf.variable(tf.zerosLike(like), false));
      this.v.set(name, tf.variable(tf.zerosLike(like), false));
    }
    return [this.m.get(name)!, this.v.get(name)!];
  }

  protected update(name: string, variable: tf.Variable, grad: tf.Tensor, { lr, bc1, bc2 }: AdamStep): void {
    const { beta1: b1, beta2: b2, epsilon: eps } = this;
    const [m, v] = this.moments(name, variable);
    tf.tidy(() => {
      const mi = tf.add(tf.mul(m, b1), tf.mul(grad, 1 - b1));
      const vi = tf.add(tf.mul(v, b2), tf.mul(tf.square(grad), 1 - b2));
      m.assign(mi);
      v.assign(vi);
      variable.assign(tf.sub(variable, tf.div(tf.mul(mi, lr / bc1), tf.add(tf.sqrt(tf.div(vi, bc2)), eps))));
    });
  }

  /** Async: WebGPU in Node cannot read synchronously (its dataSync needs a browser canvas). */
  async state(): Promise<AdamState> {
    const read = async (map: Map<string, tf.Variable>) =>
      Object.fromEntries(await Promise.all([...map].map(async ([k, t]) => [k, (await t.data()) as Float32Array] as const)));
    return { step: this.step, m: await read(this.m), v: await read(this.v) };
  }

  restore(state: AdamState): void {
    this.clearMoments();
    this.step = state.step;
    const variables = tf.engine().registeredVariables;
    for (const [part, map] of [
      [state.m, this.m],
      [state.v, this.v],
    ] as const) {
      for (const [k, a] of Object.entries(part)) {
        const like = variables[k];
        if (like) map.set(k, tf.variable(tf.tensor(a, like.shape, 'float32'), false));
      }
    }
  }

  private clearMoments(): void {
    for (const map of [this.m, this.v]) {
      for (const t of map.values()) t.dispose();
      map.clear();
    }
  }

  override dispose(): void {
    this.clearMoments();
    super.dispose();
  }
}

/** LeanAdam where weights already live in JS-reachable memory (wasm, cpu); DeviceAdam elsewhere. */
export function createAdam(backendName: string, learningRate: number): AdamBase {
  return backendName === 'wasm' || backendName === 'cpu' ? new LeanAdam(learningRate) : new DeviceAdam(learningRate);
}
