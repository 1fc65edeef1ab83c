import * as tf from '@tensorflow/tfjs';
import { AdamBase, LeanAdam, type AdamItem, type AdamState, type AdamStep } from './leanAdam';

/**
 * Adam with its moments on the backend, for GPU backends (WebGPU, tfjs-node-gpu) and tfjs-node.
 * LeanAdam reads every weight and gradient back to JS each step: right for wasm (4 GB heap) and
 * cpu, but on a GPU it would copy the 63M-weight Dense layer over the bus twice per batch.
 *
 * Fused: the moments are two flat vectors over all variables, and one step is a dozen kernels on
 * the concatenated gradients instead of a dozen per variable. On a GPU each kernel costs a fixed
 * dispatch, and per-variable Adam was more than half of a training step's kernels (360 of 663
 * for zhongSlim). Same update and state() layout as LeanAdam, so checkpoints move between them.
 */
export class DeviceAdam extends AdamBase {
  static readonly className = 'DeviceAdam';
  /** Variable names, sizes and shapes in the order of the flat moments, fixed by the first step. */
  private layout: { names: string[]; sizes: number[] } | null = null;
  private m: tf.Variable | null = null;
  private v: tf.Variable | null = null;

  private flatMoments(items: AdamItem[]): [tf.Variable, tf.Variable] {
    const names = items.map((it) => it.name);
    if (!this.layout) {
      this.layout = { names, sizes: items.map((it) => it.variable.size) };
      const total = this.layout.sizes.reduce((a, b) => a + b, 0);
      this.m = tf.variable(tf.zeros([total]), false);
      this.v = tf.variable(tf.zeros([total]), false);
    } else if (names.join('\n') !== this.layout.names.join('\n')) {
      throw new Error(`DeviceAdam: the variables changed between steps (${names.length} now, ${this.layout.names.length} before)`);
    }
    return [this.m!, this.v!];
  }

  protected update(items: AdamItem[], { lr, bc1, bc2 }: AdamStep): void {
    if (items.length === 0) return;
    const { beta1: b1, beta2: b2, epsilon: eps } = this;
    const [m, v] = this.flatMoments(items);
    const next = tf.tidy(() => {
      const g = tf.concat(items.map((it) => tf.reshape(it.grad, [-1])));
      const w = tf.concat(items.map((it) => tf.reshape(it.variable, [-1])));
      const mi = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
      const vi = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2));
      m.assign(mi);
      v.assign(vi);
      const flat = tf.sub(w, tf.div(tf.mul(mi, lr / bc1), tf.add(tf.sqrt(tf.div(vi, bc2)), eps)));
      return tf.split(flat, this.layout!.sizes).map((part, i) => tf.reshape(part, items[i]!.variable.shape));
    });
    items.forEach((it, i) => it.variable.assign(next[i]!));
    tf.dispose(next);
  }

  /** Async: WebGPU in Node cannot read synchronously (its dataSync needs a browser canvas). */
  async state(): Promise<AdamState> {
    const out: AdamState = { step: this.step, m: {}, v: {} };
    if (!this.layout || !this.m || !this.v) return out;
    const [m, v] = (await Promise.all([this.m.data(), this.v.data()])) as Float32Array[];
    let o = 0;
    this.layout.names.forEach((name, i) => {
      const n = this.layout!.sizes[i]!;
      out.m[name] = m!.slice(o, o + n);
      out.v[name] = v!.slice(o, o + n);
      o += n;
    });
    return out;
  }

  restore(state: AdamState): void {
    this.clearMoments();
    this.step = state.step;
    const variables = tf.engine().registeredVariables;
    const names = Object.keys(state.m).filter((k) => variables[k] && state.v[k]);
    if (names.length === 0) return;
    this.layout = { names, sizes: names.map((k) => variables[k]!.size) };
    const flat = (part: Record<string, Float32Array>) => {
      const total = this.layout!.sizes.reduce((a, b) => a + b, 0);
      const a = new Float32Array(total);
      let o = 0;
      for (const k of names) {
        a.set(part[k]!, o);
        o += part[k]!.length;
      }
      return tf.variable(tf.tensor1d(a), false);
    };
    this.m = flat(state.m);
    this.v = flat(state.v);
  }

  private clearMoments(): void {
    this.m?.dispose();
    this.v?.dispose();
    this.m = this.v = null;
    this.layout = null;
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
