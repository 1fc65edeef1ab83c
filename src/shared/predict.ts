import { z } from 'zod';
import type { Label } from './labels';

export interface PredictProgress {
  modelId: string;
  done: number;
  total: number;
}

export interface PredictSummary {
  modelId: string;
  /** Images asked for (or, with no ids, eligible images without a prediction by this model). */
  total: number;
  predicted: number;
  /** Images not predicted, with why: excluded by screening, missing, unreadable. */
  skipped: { imageId: number; reason: string }[];
  cancelled: boolean;
  durationMs: number;
}

/** A Grad-CAM heatmap: a tensor (Float32Array + shape), never a JSON array. Values in [0, 1]. */
export interface HeatmapTensor {
  data: Float32Array;
  shape: [number, number];
  /** The conv layer explained: the last block's, or a shallower one where the last had no evidence. */
  layer: string;
  modelId: string;
  /** The class it explains: the model's predicted class for the image. */
  predicted: Label;
  cached: boolean;
}

const imageId = z.number().int().positive();

export const predictRequests = {
  /** Predicts catalog images with the active model; no ids: every eligible image it has not predicted. */
  images: z
    .object({
      imageIds: z.array(imageId).max(1_000_000).optional(),
      /** Predict again even where this model already has a prediction. */
      force: z.boolean().optional(),
    })
    .strict(),
  cancel: z.object({}).strict(),
  /** The active model's stored prediction for an image (null if none). */
  get: z.object({ imageId }).strict(),
  heatmap: z.object({ imageId }).strict(),
};
