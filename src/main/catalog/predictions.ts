/** Predictions in the catalog's `predictions` table: one row per image and model. */
import type { Catalog } from './openCatalog';
import { LABELS, type Label } from '../../shared/labels';
import type { PredictionRecord } from '../../shared/predict';
import type { PredictionDetail } from '../../shared/image';
import { parseBands } from './worklist';
import type { ImagePrediction } from '../inference/predictor';

export function writePrediction(db: Catalog, modelId: string, imageId: number, p: ImagePrediction): void {
  db.prepare(
    `INSERT INTO predictions (image_id, model_id, predicted, p_covid, p_normal, p_pneumonia, band_json, conformal_set,
       quality_json, ood_score, method, n_samples, duration_ms)
     VALUES (@imageId, @modelId, @predicted, @pc, @pn, @pp, @band, @set, @quality, @ood, @method, @n, @ms)
     ON CONFLICT(image_id, model_id) DO UPDATE SET predicted = excluded.predicted, p_covid = excluded.p_covid,
       p_normal = excluded.p_normal, p_pneumonia = excluded.p_pneumonia, band_json = excluded.band_json,
       conformal_set = excluded.conformal_set, quality_json = excluded.quality_json, ood_score = excluded.ood_score,
       method = excluded.method, n_samples = excluded.n_samples, duration_ms = excluded.duration_ms,
       created_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`,
  ).run({
    imageId,
    modelId,
    predicted: p.predicted,
    pc: p.probs.COVID19,
    pn: p.probs.NORMAL,
    pp: p.probs.PNEUMONIA,
    band: JSON.stringify(p.band),
    set: JSON.stringify(p.set),
    quality: JSON.stringify(p.quality),
    ood: Number.isFinite(p.oodScore) ? p.oodScore : null,
    method: p.method,
    n: p.nSamples,
    ms: p.durationMs,
  });
}

/** A `predictions` row as SQLite returns it. */
export interface PredictionRow {
  image_id: number;
  model_id: string;
  predicted: Label;
  p_covid: number;
  p_normal: number;
  p_pneumonia: number;
  band_json: string;
  conformal_set: string;
  quality_json: string;
  ood_score: number | null;
  method: string;
  n_samples: number;
  duration_ms: number;
  created_at: string;
}

/** A predictions row with its model's name, version and card. */
export type PredictionWithModel = PredictionRow & { model_name: string | null; model_version: string | null; card_json: string | null };

/** The prediction the worklist shows for an image (the active model's, else the newest), with its model. */
export function currentPredictionRow(db: Catalog, imageId: number): PredictionWithModel | undefined {
  return db
    .prepare(
      `SELECT pr.*, m.name AS model_name, m.version AS model_version, m.card_json FROM worklist_entries w
       JOIN predictions pr ON pr.id = w.prediction_id LEFT JOIN models m ON m.id = pr.model_id WHERE w.image_id = ?`,
    )
    .get(imageId) as PredictionWithModel | undefined;
}

export function readPrediction(db: Catalog, modelId: string, imageId: number): PredictionRecord | null {
  const r = db.prepare('SELECT * FROM predictions WHERE image_id = ? AND model_id = ?').get(imageId, modelId) as PredictionRow | undefined;
  if (!r) return null;
  const probs = { COVID19: r.p_covid, NORMAL: r.p_normal, PNEUMONIA: r.p_pneumonia } satisfies Record<(typeof LABELS)[number], number>;
  return {
    imageId: r.image_id,
    modelId: r.model_id,
    predicted: r.predicted,
    probs,
    band: JSON.parse(r.band_json) as PredictionRecord['band'],
    set: JSON.parse(r.conformal_set) as Label[],
    quality: JSON.parse(r.quality_json) as string[],
    oodScore: r.ood_score,
    method: r.method,
    nSamples: r.n_samples,
    durationMs: r.duration_ms,
    createdAt: r.created_at,
  };
}

/** Images this model has a prediction for. */
export function predictedImageIds(db: Catalog, modelId: string): number[] {
  return db.prepare('SELECT image_id FROM predictions WHERE model_id = ?').pluck().all(modelId) as number[];
}

/** Eligible images without a prediction by this model. */
export function unpredictedEligible(db: Catalog, modelId: string): number[] {
  return (
    db
      .prepare(
        `SELECT i.id FROM images i WHERE i.status = 'eligible'
         AND NOT EXISTS (SELECT 1 FROM predictions p WHERE p.image_id = i.id AND p.model_id = ?) ORDER BY i.id`,
      )
      .all(modelId) as { id: number }[]
  ).map((r) => r.id);
}

/** The prediction the viewer shows for an image: the worklist's (the active model's, else the newest). */
export function currentPrediction(db: Catalog, imageId: number): PredictionDetail | null {
  const p = currentPredictionRow(db, imageId);
  if (!p) return null;
  const probabilities: Record<Label, number> = { COVID19: p.p_covid, NORMAL: p.p_normal, PNEUMONIA: p.p_pneumonia };
  const rawBands = parseBands(p.band_json);
  // A class without a band is shown as a point: the interval collapses to the estimate.
  const bands = Object.fromEntries(
    LABELS.map((l) => [l, rawBands[l] ?? { lo: probabilities[l], hi: probabilities[l] }]),
  ) as PredictionDetail['bands'];
  let conformalSet: Label[] = [];
  let quality: string[] = [];
  try {
    conformalSet = (JSON.parse(p.conformal_set) as Label[]).filter((l) => LABELS.includes(l));
    quality = (JSON.parse(p.quality_json) as unknown[]).map((q) => (typeof q === 'string' ? q : String((q as { code?: unknown }).code ?? '')));
  } catch {
    // Malformed JSON shows as empty rather than failing the viewer.
  }
  return {
    conformalCoverage: conformalCoverageOf(p.card_json),
    modelId: p.model_id,
    modelName: p.model_name ?? p.model_id,
    modelVersion: p.model_version ?? '',
    predicted: p.predicted,
    probabilities,
    bands,
    conformalSet,
    quality,
    oodScore: p.ood_score,
    method: p.method,
    nSamples: p.n_samples,
    at: p.created_at,
  };
}

/** The coverage the card's conformal sets were calibrated at; null for a card without them. */
function conformalCoverageOf(cardJson: string | null): number | null {
  try {
    const c = (JSON.parse(cardJson ?? 'null') as { conformal?: { coverage?: unknown } } | null)?.conformal?.coverage;
    return typeof c === 'number' && c > 0 && c < 1 ? c : null;
  } catch {
    return null;
  }
}
