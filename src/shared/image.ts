import { z } from 'zod';
import type { Band, WorklistRow } from './worklist';
import type { Label } from './labels';
import type { ReviewRecord } from './review';

export interface DicomTag {
  /** '(0010,0010)' style, or a name for raster files. */
  tag: string;
  name: string;
  value: string;
}

/** The normalised 8-bit grey rendering the model saw, as a typed array (never a JSON array). */
export interface ImagePixels {
  imageId: number;
  width: number;
  height: number;
  /** Row-major, one byte per pixel, MONOCHROME2 (0 = black). */
  pixels: Uint8Array;
}

/**
 * A stored prediction as the renderer sees it (predict.get, image.detail): every probability is
 * the calibrated one.
 */
export interface PredictionDetail {
  modelId: string;
  modelName: string;
  modelVersion: string;
  predicted: Label;
  probabilities: Record<Label, number>;
  /** Each class's 95 % band on the calibrated scale. */
  bands: Record<Label, Band>;
  /** The split-conformal set at the model's coverage, most probable first. */
  conformalSet: Label[];
  /** The coverage the model's conformal sets were calibrated for (0.9 = 90 %); null when they were not. */
  conformalCoverage: number | null;
  /** Quality flags: DICOM exclusion/warning codes, 'ood', missing calibration. Empty = none. */
  quality: string[];
  oodScore: number | null;
  /** How the band was computed: 'mc-dropout', 'tta' or 'mc-dropout+tta'. */
  method: string;
  nSamples: number;
  at: string;
}

export interface ImageDetail {
  row: WorklistRow;
  tags: DicomTag[];
  prediction: PredictionDetail | null;
  reviews: ReviewRecord[];
  /** Every image of the same study, in order, for the thumbnail strip. */
  studyImageIds: number[];
  /** The COVID-19 flag's threshold now (Settings, else the active model's card), as the worklist's "Flagged" uses it. */
  flagThreshold: number;
}

export const imageRequests = {
  get: z.object({ imageId: z.number().int().positive() }).strict(),
  thumbnail: z.object({ imageId: z.number().int().positive(), size: z.number().int().min(16).max(256).default(96) }).strict(),
  detail: z.object({ imageId: z.number().int().positive() }).strict(),
};
