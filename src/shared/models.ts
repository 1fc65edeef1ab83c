import { z } from 'zod';
import type { ClassCounts, Comparison } from './training';

/** One registered model version, as the registry view lists it. */
export interface ModelVersion {
  id: string;
  name: string;
  version: string;
  architecture: string;
  createdAt: string;
  parentId: string | null;
  parentName: string | null;
  active: boolean;
  /** The shipped default: never deleted. */
  builtin: boolean;
  /** Images it was trained and selected on (from its card). */
  dataCounts: { train: number; val: number; test: number | null; perClass: ClassCounts | null } | null;
  /** Headline figures from its card: val, and the local test split when it was trained here. */
  metrics: {
    valAccuracy: number | null;
    testAccuracy: number | null;
    macroAuc: number | null;
    ece: number | null;
    threshold: number | null;
  };
  /** The training run that made it, when it was trained in this app. */
  runId: number | null;
  /** Predictions in the catalog attributed to it. */
  predictions: number;
}

export interface RepredictProgress {
  modelId: string;
  status: 'running' | 'completed' | 'failed' | 'cancelled';
  done: number;
  total: number;
  error?: string;
}

export interface ActivationResult {
  activeId: string;
  /** The background re-prediction started for the newly active model. */
  repredict: RepredictProgress;
}

export interface ModelDetail {
  version: ModelVersion;
  /** The local comparison made when it was trained here, if any. */
  comparison: Comparison | null;
  card: Record<string, unknown>;
}

export const modelsRequests = {
  list: z.object({}).strict(),
  detail: z.object({ id: z.string().min(1).max(200) }).strict(),
  activate: z.object({ id: z.string().min(1).max(200) }).strict(),
  /** Re-activates the model that was active before the current one. */
  rollback: z.object({}).strict(),
  repredictStatus: z.object({}).strict(),
};
