import { z } from 'zod';

export interface AppSettings {
  /** Set once; every review carries it. Empty until set. */
  reviewerName: string;
  /** COVID-19 probability at or above which a case is flagged. */
  operatingThreshold: number;
  /** Where the threshold came from. */
  thresholdSource: 'settings' | 'model card' | 'default';
}

export const settingsRequests = {
  get: z.object({}).strict(),
  set: z
    .object({
      reviewerName: z.string().trim().min(1).max(100).optional(),
      /** null clears the override, falling back to the active model's card. */
      operatingThreshold: z.number().min(0).max(1).nullable().optional(),
    })
    .strict(),
};
