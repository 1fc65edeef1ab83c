import * as tf from '@tensorflow/tfjs';
import { LeanAdam, type AdamState } from './leanAdam';

/**
 * Adam with its moments on the backend, for GPU backends (WebGPU, tfjs-node-gpu) and tfjs-node.
 * LeanAdam reads every weight and gradient back to JS each step: right for wasm (4 GB heap) and
 * cpu, but on a GPU it would copy the 63M-weight Dense layer over the bus twice per batch. Same
 * update, same state() layout, so checkpoints move between the two.
 */
export class DeviceAdam extends tf.Optimizer {
  static readonly className = 'DeviceAdam';
  learningRate: number;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private step = 0;

  constructor(
    learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-7,
  ) {
    super();
    this.learningRate = learningRate;
  }

  override getClassName(): string {
    return DeviceAdam.className;
  }

  private moments(name: string, like: tf.Tensor): [tf.Variable, tf.Variable] {
    let m = this.m.get(name);
    let v = this.v.get(name);
    if (!m || !v) {
      m = tf.variable(tf.zerosLike(like), false);
      v = tf.variable(tf.zerosLike(like), false);
      this.m.set(name, m);
      this.v.set(name, v);
    }
    return [m, v];
  }

  applyGradients(variableGradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    this.step++;
    const { beta1: b1, beta2: b2, epsilon: eps } = this;
    const lr = this.learningRate;
    const bc1 = 1 - b1 ** this.step;
    const bc2 = 1 - b2 ** this.step;
    const variables = tf.engine().registeredVariables;
    for (const { name, tensor: grad } of list) {
      const variable = variables[name];
      if (!variable || grad == null) continue;
      const [m, v] = this.moments(name, variable);
      tf.tidy(() => {
        const mi = tf.add(tf.mul(m, b1), tf.mul(grad, 1 - b1));
        const vi = tf.add(tf.mul(v, b2), tf.mul(tf.square(grad), 1 - b2));
        m.assign(mi);
        v.assign(vi);
        variable.assign(tf.sub(variable, tf.div(tf.mul(mi, lr / bc1), tf.add(tf.sqrt(tf.div(vi, bc2)), eps))));
      });
    }
    this.incrementIterations();
  }

  /** Async: WebGPU in Node cannot read synchronously (its dataSync needs a browser canvas). */
  async state(): Promise<AdamState> {
    const read = async (map: Map<string, tf.Variable>) =>
      Object.fromEntries(await Promise.all([...map].map(async ([k, t]) => [k, (await t.data()) as Float32Array] as const)));
    return { step: this.step, m: await read(this.m), v: await read(this.v) };
  }

  restore(state: AdamState): void {
    this.step = state.step;
    const variables = tf.engine().registeredVariables;
    for (const map of [this.m, this.v]) {
      for (const t of map.values()) t.dispose();
      map.clear();
    }
    for (const [part, map] of [
      [state.m, this.m],
      [state.v, this.v],
    ] as const) {
      for (const [k, a] of Object.entries(part)) {
        const like = variables[k];
        if (!like) continue;
        map.set(k, tf.variable(tf.tensor(a, like.shape, 'float32'), false));
      }
    }
  }

  override dispose(): void {
    for (const map of [this.m, this.v]) {
      for (const t of map.values()) t.dispose();
      map.clear();
    }
    super.dispose();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

export type TrainAdam = LeanAdam | DeviceAdam;

/** LeanAdam where weights already live in JS-reachable memory (wasm, cpu); DeviceAdam elsewhere. */
export function createAdam(backendName: string, learningRate: number): TrainAdam {
  return backendName === 'wasm' || backendName === 'cpu' ? new LeanAdam(learningRate) : new DeviceAdam(learningRate);
}
