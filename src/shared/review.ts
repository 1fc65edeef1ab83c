import { z } from 'zod';
import { LABELS, type Label } from './labels';

export interface ReviewRecord {
  id: number;
  imageId: number;
  reviewer: string;
  label: Label;
  /** Whether the label matches the model's class at the time; null when there was no prediction. */
  agreesWithModel: boolean | null;
  modelId: string | null;
  at: string;
}

export const reviewRequests = {
  /** Stores a review by the reviewer named in Settings; a second review of an image changes it. */
  submit: z.object({ imageId: z.number().int().positive(), label: z.enum(LABELS) }).strict(),
  /** Every review of an image, newest first. */
  history: z.object({ imageId: z.number().int().positive() }).strict(),
};

export type { Label };
