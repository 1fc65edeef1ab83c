import { z } from 'zod';

export interface BackendInfo {
  /** The backend that really ran a tensor op. */
  name: string;
  threads: number;
  simd: boolean;
  /** Why each better backend was not taken. */
  refusals: { backend: string; reason: string }[];
  /** The GPU by name, when a GPU backend runs (WebGPU adapter or tfjs-node-gpu). */
  gpu: string | null;
}

export interface SystemInfo {
  appVersion: string;
  dataDir: string;
  catalogPath: string;
  schemaVersion: number;
  backend: BackendInfo;
  versions: { node: string; electron: string | null; tfjs: string };
  platform: string;
}

export const systemRequests = {
  info: z.object({}).strict(),
  ping: z.object({ t: z.number().finite() }).strict(),
};
