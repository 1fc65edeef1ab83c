/**
 * The heatmap of an image for the active model: from the cache under <dataDir>/heatmaps, else
 * computed (Grad-CAM of the predicted class) and cached.
 */
import { CxrError } from '../../shared/errors';
import { LABELS } from '../../shared/labels';
import type { HeatmapTensor } from '../../shared/predict';
import type { Services } from '../services';
import { readRendering } from '../imaging/rendering';
import { readCachedHeatmap, writeCachedHeatmap } from './gradCamCache';
import { predictionModel, predictorFor } from './predictModel';

export async function heatmapFor(s: Services, imageId: number): Promise<HeatmapTensor> {
  const model = predictionModel(s);
  const hit = readCachedHeatmap(s.dataDir, model.id, imageId);
  if (hit) return { ...hit.heatmap, modelId: model.id, predicted: LABELS[hit.classIndex]!, cached: true };
  const row = s.catalog.prepare('SELECT status, exclusion_reason FROM images WHERE id = ?').get(imageId) as
    | { status: string; exclusion_reason: string | null }
    | undefined;
  if (!row) throw new CxrError('NOT_FOUND', `image ${imageId} is not in the catalog`);
  if (row.status !== 'eligible') throw new CxrError('BAD_INPUT', `image ${imageId} is excluded (${row.exclusion_reason ?? 'not eligible'}): no prediction to explain`);
  const predictor = await predictorFor(s, model);
  const { heatmap, classIndex } = await predictor.heatmap(await predictor.input(await readRendering(s, imageId)));
  writeCachedHeatmap(s.dataDir, model.id, imageId, heatmap, classIndex);
  return { ...heatmap, modelId: model.id, predicted: LABELS[classIndex]!, cached: false };
}
