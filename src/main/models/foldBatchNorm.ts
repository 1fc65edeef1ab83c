/**
 * The inference graph of a trained model: every Conv2D → BatchNormalization pair becomes one Conv2D
 * with the batch norm folded into its kernel and bias, and a ReLU right after it becomes the conv's
 * own activation. At inference a batch norm is y = a·x + b per channel (a = γ/√(σ² + ε),
 * b = β − μ·a), so conv(x, W)·a + b = conv(x, W·a) + b exactly, up to float rounding.
 *
 * Why: on wasm the batch norms of cxrResNet were a fifth of a batch-32 inference (bench/profileStep.ts,
 * BENCH_MODE=infer: FusedBatchNorm 42 ms of 213 ms), and a conv with a bias and a ReLU runs as one
 * XNNPACK operator (tfjs-layers takes tf.fused.conv2d; XNNPACK clamps in the GEMM's epilogue), so the
 * separate ReLU passes go too.
 *
 * A pure function: the model given is left as it is (training and saving still use it), and the
 * result is a new tfjs-layers model of stock layers that keeps every other layer, its name and its
 * weights, so ModelGraph, MC dropout and Grad-CAM (which names the conv layers) run on it unchanged.
 */
import * as tf from '@tensorflow/tfjs';

export class FoldBatchNormError extends Error {
  override name = 'FoldBatchNormError';
  constructor(model: string, reason: string) {
    super(`fold batch norm in model ${model}: ${reason}`);
  }
}

/** One layer entry of a functional model's config (tfjs-layers' own, camel-cased, form). */
interface LayerEntry {
  name: string;
  className: string;
  config: Record<string, unknown>;
  /** Per call of the layer, its inputs as [layer name, node index, tensor index, kwargs]. */
  inboundNodes: [string, number, number, Record<string, unknown>][][];
}
interface ModelConfig {
  name: string;
  layers: LayerEntry[];
  inputLayers: [string, number, number][];
  outputLayers: [string, number, number][];
}

/** The BatchNormalization fields this module reads (protected in tfjs-layers' typings). */
interface BatchNormFields {
  epsilon: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

export interface FoldedPair {
  conv: string;
  batchNorm: string;
  /** The ReLU layer that became the conv's activation, if there was one. */
  relu: string | null;
}

export interface FoldResult {
  /** The inference model; the given model itself when there was nothing to fold. */
  model: tf.LayersModel;
  folded: FoldedPair[];
}

const isChannelsLastAxis = (axis: unknown): boolean => axis === -1 || axis === 3 || (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3));

const isPlainRelu = (e: LayerEntry): boolean =>
  (e.className === 'ReLU' && (e.config.maxValue ?? null) === null) || (e.className === 'Activation' && e.config.activation === 'relu');

/** Folds batch norm (and a following ReLU) into each Conv2D of a functional model; see the top of this file. */
export function foldBatchNorm(model: tf.LayersModel): FoldResult {
  // A Sequential's config is a plain list; none of the architectures with batch norm is one.
  if (model instanceof tf.Sequential) return { model, folded: [] };
  const config = JSON.parse(JSON.stringify(model.getConfig())) as ModelConfig;
  if (!Array.isArray(config.layers) || !Array.isArray(config.outputLayers)) throw new FoldBatchNormError(model.name, 'its config has no layer list');
  const byName = new Map(config.layers.map((e) => [e.name, e]));
  const consumers = (name: string): LayerEntry[] => config.layers.filter((e) => e.inboundNodes.some((node) => node.some((inb) => inb[0] === name)));
  const isOutput = (name: string): boolean => config.outputLayers.some((o) => o[0] === name);
  /** The single-call, single-input layer feeding `e`, if `e` is one. */
  const soleInput = (e: LayerEntry): LayerEntry | null => (e.inboundNodes.length === 1 && e.inboundNodes[0]!.length === 1 ? (byName.get(e.inboundNodes[0]![0]![0]) ?? null) : null);
  /** Removes `gone` from the graph: what read it reads `into` (a single-call layer) instead. */
  const bypass = (gone: LayerEntry, into: LayerEntry): void => {
    for (const e of config.layers) for (const node of e.inboundNodes) for (const inb of node) if (inb[0] === gone.name) inb.splice(0, 3, into.name, 0, 0);
    config.layers.splice(config.layers.indexOf(gone), 1);
    byName.delete(gone.name);
  };

  const folded: FoldedPair[] = [];
  for (const bn of [...config.layers]) {
    if (bn.className !== 'BatchNormalization' || !isChannelsLastAxis(bn.config.axis) || isOutput(bn.name)) continue;
    const conv = soleInput(bn);
    // Only a conv that nothing else reads: folding changes its output.
    if (!conv || conv.className !== 'Conv2D' || conv.inboundNodes.length !== 1 || conv.config.dataFormat !== 'channelsLast') continue;
    if (conv.config.activation !== 'linear' || consumers(conv.name).length !== 1 || isOutput(conv.name)) continue;
    conv.config.useBias = true;
    bypass(bn, conv);
    const next = consumers(conv.name);
    let relu: string | null = null;
    if (next.length === 1 && isPlainRelu(next[0]!) && next[0]!.inboundNodes.length === 1 && !isOutput(next[0]!.name)) {
      relu = next[0]!.name;
      conv.config.activation = 'relu';
      bypass(next[0]!, conv);
    }
    folded.push({ conv: conv.name, batchNorm: bn.name, relu });
  }
  if (folded.length === 0) return { model, folded };

  const out = tf.LayersModel.fromConfig(tf.LayersModel, config as unknown as tf.serialization.ConfigDict, {}, true) as tf.LayersModel;
  const pairs = new Map(folded.map((p) => [p.conv, p]));
  try {
    tf.tidy(() => {
      for (const layer of out.layers) {
        if (layer.getClassName() === 'InputLayer') continue;
        const pair = pairs.get(layer.name);
        if (!pair) {
          layer.setWeights(model.getLayer(layer.name).getWeights());
          continue;
        }
        const conv = model.getLayer(pair.conv);
        const bn = model.getLayer(pair.batchNorm) as unknown as BatchNormFields;
        const [kernel, bias] = conv.getWeights();
        const c = kernel!.shape[kernel!.shape.length - 1]!;
        // a and b in float64: the fold itself adds no rounding beyond the final float32 products.
        const read = (v: tf.LayerVariable | null, fill: number): Float64Array => (v ? Float64Array.from(v.read().dataSync()) : new Float64Array(c).fill(fill));
        const gamma = read(bn.gamma, 1);
        const beta = read(bn.beta, 0);
        const mean = read(bn.movingMean, 0);
        const variance = read(bn.movingVariance, 1);
        const b0 = bias ? bias.dataSync() : new Float32Array(c);
        const a = new Float32Array(c);
        const b = new Float32Array(c);
        for (let k = 0; k < c; k++) {
          const ak = gamma[k]! / Math.sqrt(variance[k]! + bn.epsilon);
          a[k] = ak;
          b[k] = b0[k]! * ak + beta[k]! - mean[k]! * ak;
        }
        layer.setWeights([tf.mul(kernel!, tf.tensor1d(a)), tf.tensor1d(b)]);
      }
    });
  } catch (err) {
    out.dispose();
    throw new FoldBatchNormError(model.name, err instanceof Error ? err.message : String(err));
  }
  return { model: out, folded };
}
