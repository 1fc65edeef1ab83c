/**
 * The predictor: a model and its card in, per image the calibrated probabilities, the 95 % band
 * per class, the conformal set, the OOD score and the quality flags out. Used by the catalog
 * service (in a worker thread), the CLI and `cxr eval`, so every probability shown anywhere is the
 * calibrated one, computed the same way.
 */
import * as tf from '@tensorflow/tfjs';
import { LABELS, type Label } from '../../shared/labels';
import { ModelGraph, type Values } from '../models/forwardPass';
import { bandOf, defaultBandMethod, sampleProbabilities, type BandMethod } from '../confidence/band';
import type { Band } from '../../shared/worklist';
import { predictionSet } from '../confidence/conformal';
import { oodScore } from '../confidence/ood';
import { qualityFlags, type ImageQuality } from '../confidence/quality';
import type { ConfidenceCard, ModelCard } from '../models/card';
import { grayToInput, resizeGray, type GrayImage, type PreprocessSpec } from '../models/preprocess';
import { gradCam, type Heatmap } from '../explain/gradCam';
import { foldBatchNorm } from '../models/foldBatchNorm';

export interface ImagePrediction {
  predicted: Label;
  /** Calibrated probabilities. */
  probs: Record<Label, number>;
  band: Record<Label, Band>;
  /** The conformal set, most probable first. */
  set: Label[];
  quality: string[];
  oodScore: number;
  method: BandMethod;
  nSamples: number;
  /** This image's share of its batch's wall time (the band's samples included). */
  durationMs: number;
}

export interface PredictorOptions {
  /** Samples per band (default 30). */
  nSamples?: number;
  method?: BandMethod;
  /** Run the batch norms folded into their convs (default true; foldBatchNorm.ts); false runs the model as given. */
  foldBatchNorm?: boolean;
}

export class Predictor {
  readonly graph: ModelGraph;
  /** The model the predictor runs: `model` with its batch norms folded, or `model` itself. */
  private readonly inference: tf.LayersModel;
  readonly confidence: ConfidenceCard;
  readonly temperature: number;
  readonly method: BandMethod;
  readonly nSamples: number;

  constructor(
    readonly model: tf.LayersModel,
    card: Pick<ModelCard, 'inputSize' | 'channels'> & ConfidenceCard,
    opts: PredictorOptions = {},
  ) {
    // Inference runs on a copy with the batch norms folded into the convs (a fifth of a wasm batch);
    // the given model stays as it is for whoever else holds it.
    this.inference = opts.foldBatchNorm === false ? model : foldBatchNorm(model).model;
    this.graph = new ModelGraph(this.inference);
    this.confidence = { calibration: card.calibration, conformal: card.conformal, ood: card.ood, probe: card.probe };
    this.temperature = this.confidence.calibration?.temperature ?? 1;
    this.method = opts.method ?? defaultBandMethod(this.graph);
    this.nSamples = opts.nSamples ?? 30;
    this.spec = { size: card.inputSize, channels: card.channels };
  }

  readonly spec: PreprocessSpec;

  /** Frees what the predictor made (the folded copy); the model it was given is the caller's to dispose. */
  dispose(): void {
    if (this.inference !== this.model) this.inference.dispose();
  }

  /** The model input for one image (the shared preprocessing). */
  async input(gray: GrayImage): Promise<Float32Array> {
    return grayToInput(await resizeGray(gray, this.spec.size), this.spec.channels);
  }

  /** Stacks preprocessed inputs into a batch tensor. */
  batch(inputs: readonly Float32Array[]): tf.Tensor4D {
    const { size, channels } = this.spec;
    const px = size * size * channels;
    const buf = new Float32Array(inputs.length * px);
    inputs.forEach((x, i) => buf.set(x, i * px));
    return tf.tensor4d(buf, [inputs.length, size, size, channels]);
  }

  /** Raw logits, raw probabilities and calibrated probabilities for a batch, without a band. */
  async scores(x: tf.Tensor4D, base?: Values): Promise<{ logits: Float32Array; raw: Float32Array; calibrated: Float32Array }> {
    const [z, p, c] = tf.tidy(() => {
      const v = base ?? this.graph.forward(x, true);
      const logits = this.graph.logits(v);
      return [logits, this.graph.output(v).clone(), tf.softmax(tf.div(logits, this.temperature))];
    });
    const out = { logits: (await z.data()) as Float32Array, raw: (await p.data()) as Float32Array, calibrated: (await c.data()) as Float32Array };
    tf.dispose([z, p, c]);
    return out;
  }

  /** Full predictions for preprocessed inputs, with the DICOM quality of each (null for none); `nSamples` per band overrides the predictor's. */
  async predict(inputs: readonly Float32Array[], qualities: readonly (ImageQuality | null)[], nSamples = this.nSamples): Promise<ImagePrediction[]> {
    const t0 = performance.now();
    const k = LABELS.length;
    const x = this.batch(inputs);
    // One deterministic pass feeds both the point estimate and the MC-dropout samples; the scope
    // frees every intermediate once the numbers are read.
    tf.engine().startScope();
    try {
      const base = this.graph.forward(x, true);
      const { logits, raw, calibrated } = await this.scores(x, base);
      const samples = await sampleProbabilities(this.graph, x, { method: this.method, nSamples, temperature: this.temperature, base });
      const per = (performance.now() - t0) / inputs.length;
      const kind = this.confidence.ood?.score ?? (this.graph.hasTrueLogits ? 'energy' : 'max-softmax');
      return inputs.map((_, i) => {
        const p = calibrated.subarray(i * k, (i + 1) * k);
        const band = bandOf(samples, i, p);
        const score = oodScore(kind, logits.subarray(i * k, (i + 1) * k), raw.subarray(i * k, (i + 1) * k));
        const set = this.confidence.conformal ? predictionSet(p, this.confidence.conformal) : LABELS.map((_, j) => j);
        let top = 0;
        for (let j = 1; j < k; j++) if (p[j]! > p[top]!) top = j;
        return {
          predicted: LABELS[top]!,
          probs: Object.fromEntries(LABELS.map((l, j) => [l, p[j]!])) as Record<Label, number>,
          band: Object.fromEntries(LABELS.map((l, j) => [l, band[j]!])) as Record<Label, Band>,
          set: set.map((j) => LABELS[j]!),
          quality: qualityFlags(qualities[i] ?? null, { score, cal: this.confidence.ood ?? null }, {
            calibrated: Boolean(this.confidence.calibration),
            conformal: Boolean(this.confidence.conformal),
          }),
          oodScore: score,
          method: samples.method,
          nSamples,
          durationMs: per,
        };
      });
    } finally {
      tf.engine().endScope();
      x.dispose();
    }
  }

  /** Grad-CAM of the predicted class for one preprocessed input. */
  async heatmap(input: Float32Array): Promise<{ heatmap: Heatmap; classIndex: number }> {
    const x = this.batch([input]);
    try {
      const { heatmaps, classes } = await gradCam(this.graph, x);
      return { heatmap: heatmaps[0]!, classIndex: classes[0]! };
    } finally {
      x.dispose();
    }
  }
}
