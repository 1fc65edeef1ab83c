import { reviewHistory, submitReview } from '../../catalog/reviews';
import type { Services } from '../../services/services';
import type { GroupImpl } from './types';

export function reviewHandlers(s: Services): GroupImpl<'review'> {
  return {
    'review.submit': async (req) => {
      const record = submitReview(s.catalog, req.imageId, req.label);
      s.events.emit('review.changed', { imageId: req.imageId, label: req.label });
      return record;
    },
    'review.history': async (req) => reviewHistory(s.catalog, req.imageId),
  };
}
