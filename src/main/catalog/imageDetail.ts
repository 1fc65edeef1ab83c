/** Everything the viewer shows beside the pixels of one image, read from the catalog. */
import { CxrError } from '../../shared/errors';
import type { ImageDetail } from '../../shared/image';
import type { Catalog } from './openCatalog';
import { imageRow, imageTags, studyImageIds } from './images';
import { currentPrediction } from './predictions';
import { reviewHistory } from './reviews';
import { operatingThreshold } from './settings';
import { worklistRow } from './worklist';

export function imageDetail(db: Catalog, imageId: number): ImageDetail {
  const image = imageRow(db, imageId);
  const row = worklistRow(db, imageId);
  if (!row) throw new CxrError('NOT_FOUND', `image ${imageId} is not in the worklist`);
  return {
    row,
    tags: imageTags(image),
    prediction: currentPrediction(db, imageId),
    reviews: reviewHistory(db, imageId),
    studyImageIds: studyImageIds(db, image.series_id),
    flagThreshold: operatingThreshold(db).value,
  };
}
