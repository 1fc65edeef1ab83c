import type { Services } from '../services';
import type { GroupImpl } from './types';
import { cancelPredictJob, runPredictJob } from '../model/predictJob';
import { heatmapFor } from '../model/predictHeatmap';
import { predictionModel } from '../model/predictModel';
import { readPrediction } from '../model/predictStore';

export function predictHandlers(s: Services): GroupImpl<'predict'> {
  return {
    'predict.images': (req) => runPredictJob(s, req),
    'predict.cancel': async () => ({ cancelled: cancelPredictJob(s) }),
    'predict.get': async (req) => readPrediction(s.catalog, predictionModel(s).id, req.imageId),
    'predict.heatmap': (req) => heatmapFor(s, req.imageId),
  };
}
