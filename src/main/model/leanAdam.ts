import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Adam's step count and moments by variable name: a checkpoint's optimizer state. */
export interface AdamState {
  step: number;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

/**
 * Adam (same update as tf.train.adam / Keras) whose moments live in plain JS Float32Arrays and
 * whose update runs in one fused loop. Stock Adam makes ~13 full-size temporaries per weight on
 * the backend, which sends the paper's 54M-weight Dense layer past wasm's 4 GB on the first step;
 * here the backend only ever holds the weight, its gradient and the new weight.
 */
export class LeanAdam extends tf.Optimizer {
  static readonly className = 'LeanAdam';
  learningRate: number;
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();
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
    return LeanAdam.className;
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
      const n = variable.size;
      let m = this.m.get(name);
      let v = this.v.get(name);
      if (!m || !v) {
        m = new Float32Array(n);
        v = new Float32Array(n);
        this.m.set(name, m);
        this.v.set(name, v);
      }
      const g = readValues(grad);
      const w = readValues(variable);
      const next = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const gi = g[i]!;
        const mi = b1 * m[i]! + (1 - b1) * gi;
        const vi = b2 * v[i]! + (1 - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        next[i] = w[i]! - (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + eps);
      }
      // A new tensor, not an in-place write: XNNPACK caches packed conv weights by tensor id.
      const t = tf.tensor(next, variable.shape, 'float32');
      variable.assign(t);
      t.dispose();
    }
    this.incrementIterations();
  }

  /** Moments and step for a checkpoint (resume continues the same Adam trajectory). */
  state(): AdamState {
    return { step: this.step, m: Object.fromEntries(this.m), v: Object.fromEntries(this.v) };
  }

  restore(state: AdamState): void {
    this.step = state.step;
    this.m.clear();
    this.v.clear();
    for (const [k, a] of Object.entries(state.m)) this.m.set(k, a);
    for (const [k, a] of Object.entries(state.v)) this.v.set(k, a);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

/** A view on the wasm heap where possible (no 200 MB copy for the big Dense kernel), else a copy. */
function readValues(t: tf.Tensor): Float32Array {
  const backend = tf.backend() as Partial<BackendWasm>;
  if (tf.getBackend() === 'wasm' && typeof backend.typedArrayFromHeap === 'function') {
    return backend.typedArrayFromHeap(t) as Float32Array;
  }
  return t.dataSync() as Float32Array;
}
