import type { ImagePrediction } from '../model/predictImages';
import type { ImageQuality } from '../model/predictQuality';

export interface RepredictItem {
  imageId: number;
  /** The image's normalised rendering. */
  file: string;
  quality: ImageQuality;
}

export type RepredictWorkerMessage =
  | { type: 'batch'; rows: { imageId: number; prediction: ImagePrediction }[]; failed: { imageId: number; reason: string }[] }
  | { type: 'done'; status: 'completed' | 'cancelled' }
  | { type: 'error'; message: string };
