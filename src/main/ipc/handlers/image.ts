import { imageDetail } from '../../catalog/imageDetail';
import { imageFile } from '../../catalog/images';
import { thumbnailPixels, viewPixels } from '../../renderings/imagePixels';
import type { Services } from '../../services/services';
import type { GroupImpl } from './types';

export function imageHandlers(s: Services): GroupImpl<'image'> {
  return {
    'image.get': async (req) => viewPixels(s.dataDir, imageFile(s.catalog, req.imageId)),
    'image.thumbnail': async (req) => thumbnailPixels(s.dataDir, imageFile(s.catalog, req.imageId), req.size),
    'image.detail': async (req) => imageDetail(s.catalog, req.imageId),
  };
}
