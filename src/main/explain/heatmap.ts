/**
 * The heatmap of an image for the active model: from the cache under <dataDir>/heatmaps, else
 * computed in the inference worker (Grad-CAM of the predicted class) and cached.
 */
import { CxrError } from '../../shared/errors';
import { LABELS } from '../../shared/labels';
import type { HeatmapTensor } from '../../shared/predict';
import type { Services } from '../services/services';
import { readCachedHeatmap, writeCachedHeatmap } from './heatmapCache';
import { predictionModel } from '../models/activeModel';
import { readImageQualities } from '../catalog/images';

export async function heatmapFor(s: Services, imageId: number): Promise<HeatmapTensor> {
  const model = predictionModel(s);
  const hit = readCachedHeatmap(s.dataDir, model.id, imageId);
  if (hit) return { ...hit.heatmap, modelId: model.id, predicted: LABELS[hit.classIndex]!, cached: true };
  const q = readImageQualities(s.catalog, [imageId]).get(imageId);
  if (!q) throw new CxrError('NOT_FOUND', `image ${imageId} is not in the catalog`);
  if (q.status !== 'eligible') throw new CxrError('BAD_INPUT', `image ${imageId} is excluded (${q.exclusionReason ?? 'not eligible'}): no prediction to explain`);
  // In the inference worker: Grad-CAM of the paper's model takes ~1 s of tensor work.
  const { heatmap, classIndex } = await s.inference.heatmap(model.dir, imageId);
  writeCachedHeatmap(s.dataDir, model.id, imageId, heatmap, classIndex);
  return { ...heatmap, modelId: model.id, predicted: LABELS[classIndex]!, cached: false };
}
