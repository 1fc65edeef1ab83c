import type { Services } from '../../services/services';
import type { GroupImpl } from './types';
import { heatmapFor } from '../../explain/heatmap';
import { predictionModel } from '../../models/activeModel';
import { readPrediction } from '../../catalog/predictions';

export function predictHandlers(s: Services): GroupImpl<'predict'> {
  return {
    'predict.images': (req) => s.predictions.run(req),
    'predict.cancel': async () => ({ cancelled: s.predictions.cancel() }),
    'predict.get': async (req) => readPrediction(s.catalog, predictionModel(s).id, req.imageId),
    'predict.heatmap': (req) => heatmapFor(s, req.imageId),
  };
}
