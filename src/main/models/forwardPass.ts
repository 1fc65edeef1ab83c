/**
 * Runs a tfjs LayersModel's graph node by node, so that confidence and explanation code can do
 * what `model.predict` cannot:
 * - turn on only the dropout layers (Monte Carlo dropout) while batch norm stays in inference mode;
 * - re-run only the part of the graph downstream of a changed tensor (dropout samples reuse the
 *   deterministic conv trunk; Grad-CAM differentiates the head with respect to the last conv output);
 * - read the pre-softmax logits, which energy scores and temperature scaling need.
 *
 * It walks the container's own `nodesByDepth`, the same order tfjs's `execute` uses, so branches
 * and concatenations (the paper's model pools every block into the head) are handled as they are.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2dMaxPool } from '../tfjs/convMaxPool';

export class ForwardPassError extends Error {
  override name = 'ForwardPassError';
  constructor(reason: string) {
    super(`forward pass: ${reason}`);
  }
}

/** The parts of tfjs-layers' internal Node and SymbolicTensor this module reads. */
interface SymbolicRef {
  id: number;
  shape: (number | null)[];
}
interface GraphNode {
  outboundLayer: tf.layers.Layer;
  inputTensors: SymbolicRef[];
  outputTensors: SymbolicRef[];
}

export interface GraphStep {
  layer: tf.layers.Layer;
  inputs: SymbolicRef[];
  outputs: SymbolicRef[];
  /** A layer whose output is random in training mode. */
  stochastic: boolean;
}

const STOCHASTIC = new Set(['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianDropout', 'AlphaDropout', 'GaussianNoise']);
const CONV = new Set(['Conv2D', 'SeparableConv2D', 'DepthwiseConv2D']);

/** Tensor values by symbolic tensor id. */
export type Values = Map<number, tf.Tensor>;

export interface RunOptions {
  /** Values to use instead of computing them (the input, or a conv output under differentiation). */
  overrides: Values;
  /** Values computed earlier; reused wherever nothing upstream changed. */
  base?: Values;
  /** Dropout layers in training mode (Monte Carlo dropout). Batch norm always stays in inference mode. */
  dropout?: boolean;
  /** Repeat every reused base value this many times along the batch axis (one pass, many samples). */
  repeat?: number;
  /**
   * Run each Conv2D → 2×2 MaxPooling2D pair (the pool the conv's only reader) as one op
   * (tfjs/convMaxPool.ts): the values are the same, but the conv's own output is not among them, so
   * callers that read or differentiate a conv block's map (Grad-CAM) leave it off.
   */
  fuse?: boolean;
}

/** A Conv2D step and the 2×2 stride-2 MaxPooling2D step that alone reads its output. */
interface ConvPool {
  conv: GraphStep;
  pool: GraphStep;
}

export class ModelGraph {
  readonly steps: GraphStep[];
  readonly inputId: number;
  readonly outputId: number;
  /** The last 4-D output of a convolution, for Grad-CAM; null if the model has none. */
  readonly lastConv: SymbolicRef | null;
  /** Each conv block's final feature map (the map its pooling reads), shallow to deep. */
  readonly convBlocks: { name: string; ref: SymbolicRef }[];
  readonly hasDropout: boolean;
  /** Conv → max pool pairs that RunOptions.fuse runs as one op, by the conv's output id. */
  private readonly convPools = new Map<number, ConvPool>();
  /** How the logits are read: from the last Dense's input and weights, or from a softmax layer's input. */
  private readonly logitSource:
    | { kind: 'dense'; input: SymbolicRef; layer: tf.layers.Layer }
    | { kind: 'activation'; input: SymbolicRef }
    | { kind: 'log-probs' };

  constructor(readonly model: tf.LayersModel) {
    // A Sequential builds its inner functional graph lazily (on first predict or compile).
    if (model instanceof tf.Sequential && !(model as unknown as { model?: unknown }).model) model.build();
    const inner = model as unknown as { nodesByDepth?: Record<string, GraphNode[]>; inputs: SymbolicRef[]; outputs: SymbolicRef[] };
    if (!inner.nodesByDepth) throw new ForwardPassError(`model ${model.name} has no node graph (not built?)`);
    if (inner.inputs.length !== 1 || inner.outputs.length !== 1) {
      throw new ForwardPassError(`model ${model.name} has ${inner.inputs.length} inputs and ${inner.outputs.length} outputs; one of each is supported`);
    }
    this.inputId = inner.inputs[0]!.id;
    this.outputId = inner.outputs[0]!.id;
    const depths = Object.keys(inner.nodesByDepth)
      .map(Number)
      .sort((a, b) => b - a);
    this.steps = [];
    for (const d of depths) {
      for (const node of inner.nodesByDepth[String(d)]!) {
        const layer = node.outboundLayer;
        if (layer.getClassName() === 'InputLayer') continue;
        this.steps.push({
          layer,
          inputs: node.inputTensors,
          outputs: node.outputTensors,
          stochastic: STOCHASTIC.has(layer.getClassName()),
        });
      }
    }
    this.hasDropout = this.steps.some((s) => s.stochastic);
    for (const conv of this.steps) {
      const c = conv.layer.getConfig() as { dataFormat?: string; dilationRate?: number | number[]; activation?: string };
      if (conv.layer.getClassName() !== 'Conv2D' || conv.outputs[0]!.id === this.outputId) continue;
      if (c.dataFormat !== 'channelsLast' || !['1', '1,1'].includes(String(c.dilationRate ?? 1)) || !['linear', 'relu', 'elu'].includes(c.activation ?? '')) continue;
      const readers = this.steps.filter((s) => s.inputs.some((i) => i.id === conv.outputs[0]!.id));
      const pool = readers[0];
      if (readers.length !== 1 || pool!.layer.getClassName() !== 'MaxPooling2D') continue;
      const p = pool!.layer.getConfig() as { poolSize?: number[]; strides?: number[]; dataFormat?: string };
      if (String(p.poolSize) === '2,2' && String(p.strides) === '2,2' && p.dataFormat === 'channelsLast') this.convPools.set(conv.outputs[0]!.id, { conv, pool: pool! });
    }
    // A conv's activation may be a separate layer right after it (Conv → BatchNorm → ELU); Grad-CAM
    // wants each block's final 4-D feature map before pooling, so follow element-wise successors.
    // In a residual block the map continues through the Add that joins the shortcut (and the ReLU
    // after it): the block's output is the sum, not either branch.
    const elementwise = ['BatchNormalization', 'Activation', 'ELU', 'ReLU', 'LeakyReLU'];
    const finalMap = (ref: SymbolicRef): { ref: SymbolicRef; residual: boolean } => {
      let residual = false;
      for (;;) {
        const next = this.steps.find(
          (s) =>
            s.inputs.some((i) => i.id === ref.id) &&
            ((s.inputs.length === 1 && elementwise.includes(s.layer.getClassName())) || s.layer.getClassName() === 'Add'),
        );
        if (!next) return { ref, residual };
        if (next.layer.getClassName() === 'Add') residual = true;
        ref = next.outputs[0]!;
      }
    };
    const seen = new Set<number>();
    const convMaps = this.steps
      .filter((s) => CONV.has(s.layer.getClassName()) && s.outputs[0]!.shape.length === 4)
      .map((s) => ({ name: s.layer.name, ...finalMap(s.outputs[0]!) }))
      // A block's two branches (main and projection shortcut) end in the same map: keep it once.
      .filter((m) => !seen.has(m.ref.id) && seen.add(m.ref.id));
    // A block ends where its map feeds something other than another conv (a pooling layer), or
    // where a residual sum closes it.
    this.convBlocks = convMaps
      .filter(({ ref, residual }) => residual || !this.steps.some((s) => s.inputs.some((i) => i.id === ref.id) && CONV.has(s.layer.getClassName())))
      .map(({ name, ref }) => ({ name, ref }));
    this.lastConv = this.convBlocks.length ? this.convBlocks[this.convBlocks.length - 1]!.ref : null;

    const final = this.steps[this.steps.length - 1]!;
    const cfg = final.layer.getConfig() as { activation?: string };
    if (final.layer.getClassName() === 'Dense' && cfg.activation === 'softmax') {
      this.logitSource = { kind: 'dense', input: final.inputs[0]!, layer: final.layer };
    } else if ((final.layer.getClassName() === 'Activation' && cfg.activation === 'softmax') || final.layer.getClassName() === 'Softmax') {
      this.logitSource = { kind: 'activation', input: final.inputs[0]! };
    } else if (cfg.activation === 'linear') {
      // The model already outputs logits.
      this.logitSource = { kind: 'activation', input: final.outputs[0]! };
    } else {
      this.logitSource = { kind: 'log-probs' };
    }
  }

  /** True when the logits are the model's real pre-softmax scores, not log-probabilities. */
  get hasTrueLogits(): boolean {
    return this.logitSource.kind !== 'log-probs';
  }

  /**
   * Runs every step whose inputs changed (or that is stochastic under `dropout`), returning the
   * new values only. Call inside tf.tidy (or dispose the result): it allocates.
   */
  run(opts: RunOptions): Values {
    const fresh: Values = new Map(opts.overrides);
    const repeat = opts.repeat ?? 1;
    const repeated = new Map<number, tf.Tensor>();
    const reuse = (id: number): tf.Tensor => {
      const v = opts.base?.get(id);
      if (!v) throw new ForwardPassError(`no value for tensor ${id}: give it in overrides or base`);
      if (repeat === 1) return v;
      let r = repeated.get(id);
      if (!r) {
        r = tf.tile(v, [repeat, ...new Array<number>(v.rank - 1).fill(1)]);
        repeated.set(id, r);
      }
      return r;
    };
    for (const step of this.steps) {
      if (step.outputs.some((o) => opts.overrides.has(o.id) || (opts.fuse && fresh.has(o.id)))) continue;
      const changed = step.inputs.some((t) => fresh.has(t.id));
      if (!changed && !(opts.dropout && step.stochastic)) continue;
      const ins = step.inputs.map((t) => fresh.get(t.id) ?? reuse(t.id));
      const pair = opts.fuse ? this.convPools.get(step.outputs[0]!.id) : undefined;
      if (pair && !opts.overrides.has(pair.pool.outputs[0]!.id)) {
        fresh.set(pair.pool.outputs[0]!.id, fusedConvPool(pair, ins[0]!));
        continue;
      }
      const out = step.layer.apply(ins.length === 1 ? ins[0]! : ins, { training: Boolean(opts.dropout && step.stochastic) });
      const outs = Array.isArray(out) ? out : [out];
      step.outputs.forEach((o, i) => fresh.set(o.id, outs[i] as tf.Tensor));
    }
    return fresh;
  }

  /**
   * A full deterministic pass from the input batch: every intermediate value, by id; with `fuse`,
   * conv → max pool pairs as one op, their convs' outputs left out (RunOptions.fuse).
   */
  forward(x: tf.Tensor, fuse = false): Values {
    return this.run({ overrides: new Map([[this.inputId, x]]), fuse });
  }

  /** The model's output (probabilities) from a run's values. */
  output(values: Values, base?: Values): tf.Tensor2D {
    const v = values.get(this.outputId) ?? base?.get(this.outputId);
    if (!v) throw new ForwardPassError('the run did not reach the output');
    return v as tf.Tensor2D;
  }

  /** Pre-softmax logits [batch, classes] from a run's values (log-probabilities if the model hides them). */
  logits(values: Values, base?: Values): tf.Tensor2D {
    const get = (id: number) => {
      const v = values.get(id) ?? base?.get(id);
      if (!v) throw new ForwardPassError(`the run did not reach tensor ${id}`);
      return v;
    };
    const src = this.logitSource;
    if (src.kind === 'dense') {
      const [kernel, bias] = src.layer.getWeights();
      const z = tf.matMul(get(src.input.id) as tf.Tensor2D, kernel as tf.Tensor2D);
      return (bias ? tf.add(z, bias) : z) as tf.Tensor2D;
    }
    if (src.kind === 'activation') return get(src.input.id) as tf.Tensor2D;
    // Log-probabilities differ from logits by a per-row constant: fine for softmax and temperature,
    // not for energy scores (see ood.ts).
    return tf.log(tf.maximum(get(this.outputId), 1e-30)) as tf.Tensor2D;
  }
}

/** The pair's pool output from the conv's input, by the conv layer's own weights and settings. */
function fusedConvPool({ conv, pool }: ConvPool, x: tf.Tensor): tf.Tensor {
  const c = conv.layer.getConfig() as { strides: number[]; padding: 'same' | 'valid'; activation: 'linear' | 'relu' | 'elu'; useBias: boolean };
  const [filter, bias] = conv.layer.getWeights();
  const p = pool.layer.getConfig() as { padding: 'same' | 'valid' };
  return conv2dMaxPool({
    x: x as tf.Tensor4D,
    filter: filter as tf.Tensor4D,
    bias: c.useBias ? bias : undefined,
    strides: [c.strides[0]!, c.strides[1]!],
    pad: c.padding,
    activation: c.activation,
    poolPad: p.padding,
  });
}
