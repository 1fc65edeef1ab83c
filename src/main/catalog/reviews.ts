import { audit, writeTransaction, type Catalog } from './openCatalog';
import { getSetting, REVIEWER_SETTING } from './settings';
import { CxrError } from '../../shared/errors';
import type { Label } from '../../shared/labels';
import type { ReviewRecord } from '../../shared/review';

interface RawReview {
  id: number;
  image_id: number;
  reviewer: string;
  label: Label;
  agrees_with_model: number | null;
  model_id: string | null;
  created_at: string;
}

function toRecord(r: RawReview): ReviewRecord {
  return {
    id: r.id,
    imageId: r.image_id,
    reviewer: r.reviewer,
    label: r.label,
    agreesWithModel: r.agrees_with_model === null ? null : r.agrees_with_model === 1,
    modelId: r.model_id,
    at: r.created_at,
  };
}

/**
 * Stores a review by the reviewer named in Settings, against the image's current prediction.
 * Reviews are never overwritten: a change is a new row, and the audit log holds both old and new.
 */
export function submitReview(db: Catalog, imageId: number, label: Label): ReviewRecord {
  const reviewer = getSetting(db, REVIEWER_SETTING)?.trim();
  if (!reviewer) throw new CxrError('BAD_INPUT', 'Set your reviewer name in Settings before reviewing');
  return writeTransaction(db, () => {
    const entry = db
      .prepare(
        `SELECT w.image_id, w.predicted, pr.model_id, w.review_id, i.status FROM worklist_entries w
         JOIN images i ON i.id = w.image_id LEFT JOIN predictions pr ON pr.id = w.prediction_id WHERE w.image_id = ?`,
      )
      .get(imageId) as
      | { image_id: number; predicted: Label | null; model_id: string | null; review_id: number | null; status: string }
      | undefined;
    if (!entry) throw new CxrError('NOT_FOUND', `no image ${imageId} in the catalog`);
    const previous = entry.review_id
      ? (db.prepare('SELECT * FROM reviews WHERE id = ?').get(entry.review_id) as RawReview)
      : undefined;
    const agrees = entry.predicted === null ? null : entry.predicted === label ? 1 : 0;
    const info = db
      .prepare('INSERT INTO reviews (image_id, reviewer, label, agrees_with_model, model_id) VALUES (?, ?, ?, ?, ?)')
      .run(imageId, reviewer, label, agrees, entry.model_id);
    const created = toRecord(db.prepare('SELECT * FROM reviews WHERE id = ?').get(info.lastInsertRowid) as RawReview);
    const summary = (r: ReviewRecord) => ({
      reviewId: r.id,
      reviewer: r.reviewer,
      label: r.label,
      agreesWithModel: r.agreesWithModel,
      modelId: r.modelId,
      at: r.at,
    });
    audit(db, {
      actor: reviewer,
      action: previous ? 'review.change' : 'review.create',
      entity: 'image',
      entityId: imageId,
      detail: previous ? { old: summary(toRecord(previous)), new: summary(created) } : { new: summary(created) },
    });
    return created;
  })();
}

export function reviewHistory(db: Catalog, imageId: number): ReviewRecord[] {
  return (db.prepare('SELECT * FROM reviews WHERE image_id = ? ORDER BY id DESC').all(imageId) as RawReview[]).map(toRecord);
}
