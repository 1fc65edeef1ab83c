import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Adam's step count and moments by variable name: a checkpoint's optimizer state. */
export interface AdamState {
  step: number;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

/** One Adam step's constants: learning rate and the two bias corrections. */
export interface AdamStep {
  lr: number;
  bc1: number;
  bc2: number;
}

/**
 * Adam as tf.train.adam / Keras computes it (epsilon 1e-7), with the moments wherever a subclass
 * keeps them, and a state that checkpoints can save and restore across the two.
 */
export abstract class AdamBase extends tf.Optimizer {
  learningRate: number;
  protected step = 0;

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
    return (this.constructor as unknown as { className: string }).className;
  }

  /** One variable's update with its gradient. */
  protected abstract update(name: string, variable: tf.Variable, grad: tf.Tensor, k: AdamStep): void;

  abstract state(): AdamState | Promise<AdamState>;

  abstract restore(state: AdamState): void;

  applyGradients(variableGradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    this.step++;
    const k = { lr: this.learningRate, bc1: 1 - this.beta1 ** this.step, bc2: 1 - this.beta2 ** this.step };
    const variables = tf.engine().registeredVariables;
    for (const { name, tensor: grad } of list) {
      const variable = variables[name];
      if (variable && grad != null) this.update(name, variable, grad, k);
    }
    this.incrementIterations();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

/**
 * Adam whose moments live in plain JS Float32Arrays and whose update runs in one fused loop. Stock
 * Adam makes ~13 full-size temporaries per weight on the backend, which sends the paper's
 * 54M-weight Dense layer past wasm's 4 GB on the first step; here the backend only ever holds the
 * weight, its gradient and the new weight. For wasm and cpu (DeviceAdam for GPU backends).
 */
export class LeanAdam extends AdamBase {
  static readonly className = 'LeanAdam';
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();

  protected update(name: string, variable: tf.Variable, grad: tf.Tensor, { lr, bc1, bc2 }: AdamStep): void {
    const { beta1: b1, beta2: b2, epsilon: eps } = this;
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
}

/** A view on the wasm heap where possible (no 200 MB copy for the big Dense kernel), else a copy. */
function readValues(t: tf.Tensor): Float32Array {
  const backend = tf.backend() as Partial<BackendWasm>;
  if (tf.getBackend() === 'wasm' && typeof backend.typedArrayFromHeap === 'function') {
    return backend.typedArrayFromHeap(t) as Float32Array;
  }
  return t.dataSync() as Float32Array;
}
