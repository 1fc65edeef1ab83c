/** Messages between main (inferenceHost.ts) and the inference worker (inference.worker.ts). */
import type { RunItem } from './predictRun';

export type InferenceRequest =
  | { type: 'predict'; id: number; modelDir: string; imageIds: number[]; nSamples?: number }
  | { type: 'heatmap'; id: number; modelDir: string; imageId: number }
  | { type: 'cancel'; id: number; target: number }
  /** Which backend the worker runs (the host sizes its pool by it). */
  | { type: 'backend'; id: number };

export type InferenceReply =
  | { type: 'batch'; id: number; items: RunItem[] }
  | { type: 'done'; id: number; cancelled: boolean }
  | { type: 'heatmap'; id: number; data: Float32Array; shape: [number, number]; layer: string; classIndex: number }
  | { type: 'backend'; id: number; name: string; threads: number }
  | { type: 'failed'; id: number; message: string };
