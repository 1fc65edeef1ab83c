/** Predictions in the catalog's `predictions` table: one row per image and model. */
import type { Catalog } from './openCatalog';
import { LABELS, type Label } from '../../shared/labels';
import type { PredictionDetail } from '../../shared/image';
import type { Band } from '../../shared/worklist';
import { modelCard, modelRow } from './models';
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
type PredictionWithModel = PredictionRow & { model_name: string | null; model_version: string | null; card_json: string | null };

const WITH_MODEL = 'SELECT pr.*, m.name AS model_name, m.version AS model_version, m.card_json FROM predictions pr LEFT JOIN models m ON m.id = pr.model_id';

/** The prediction the worklist and the viewer show for an image: the active model's, else the newest. */
export function currentPrediction(db: Catalog, imageId: number): PredictionDetail | null {
  const row = db
    .prepare(`${WITH_MODEL} WHERE pr.id = (SELECT prediction_id FROM worklist_entries WHERE image_id = ?)`)
    .get(imageId) as PredictionWithModel | undefined;
  return row ? toPrediction(row) : null;
}

/**
 * currentPrediction for many images (an export), with the same result: one prepared statement, and
 * each model's card (tens of kB) parsed once, not copied and parsed for every row. An export reads
 * in one transaction, so a model's card cannot change under it.
 */
export function currentPredictionReader(db: Catalog): (imageId: number) => PredictionDetail | null {
  const stmt = db.prepare(
    `SELECT pr.*, m.name AS model_name, m.version AS model_version, NULL AS card_json FROM predictions pr LEFT JOIN models m ON m.id = pr.model_id
     WHERE pr.id = (SELECT prediction_id FROM worklist_entries WHERE image_id = ?)`,
  );
  const coverage = new Map<string, number | null>();
  const coverageOf = (modelId: string): number | null => {
    if (!coverage.has(modelId)) {
      const m = modelRow(db, modelId);
      coverage.set(modelId, m ? (modelCard(m).conformal?.coverage ?? null) : null);
    }
    return coverage.get(modelId)!;
  };
  return (imageId) => {
    const row = stmt.get(imageId) as PredictionWithModel | undefined;
    return row ? toPrediction(row, coverageOf(row.model_id)) : null;
  };
}

/** One model's prediction for an image, or null when it has none. */
export function readPrediction(db: Catalog, modelId: string, imageId: number): PredictionDetail | null {
  const row = db.prepare(`${WITH_MODEL} WHERE pr.image_id = ? AND pr.model_id = ?`).get(imageId, modelId) as PredictionWithModel | undefined;
  return row ? toPrediction(row) : null;
}

/** A band_json value: each class's band (malformed JSON reads as none). */
export function parseBands(json: string | null): Partial<Record<Label, Band>> {
  if (!json) return {};
  try {
    return JSON.parse(json) as Partial<Record<Label, Band>>;
  } catch {
    return {};
  }
}

/** A JSON list of codes; entries may be codes or {code, ...} objects depending on who wrote them. */
export function parseCodes(json: string | null): string[] {
  if (!json) return [];
  try {
    const v = JSON.parse(json) as unknown;
    if (!Array.isArray(v)) return [];
    return v.map((x) => (typeof x === 'string' ? x : String((x as { code?: unknown }).code ?? JSON.stringify(x))));
  } catch {
    return [];
  }
}

/** The one mapping of a predictions row to what the renderer sees. Malformed JSON shows as empty rather than failing the viewer. */
function toPrediction(p: PredictionWithModel, knownCoverage?: number | null): PredictionDetail {
  const probabilities: Record<Label, number> = { COVID19: p.p_covid, NORMAL: p.p_normal, PNEUMONIA: p.p_pneumonia };
  const rawBands = parseBands(p.band_json);
  // A class without a band is shown as a point: the interval collapses to the estimate.
  const bands = Object.fromEntries(LABELS.map((l) => [l, rawBands[l] ?? { lo: probabilities[l], hi: probabilities[l] }])) as Record<Label, Band>;
  return {
    modelId: p.model_id,
    modelName: p.model_name ?? p.model_id,
    modelVersion: p.model_version ?? '',
    predicted: p.predicted,
    probabilities,
    bands,
    conformalSet: parseCodes(p.conformal_set).filter((l): l is Label => (LABELS as readonly string[]).includes(l)),
    conformalCoverage: knownCoverage !== undefined ? knownCoverage : p.card_json === null ? null : (modelCard({ id: p.model_id, card_json: p.card_json }).conformal?.coverage ?? null),
    quality: parseCodes(p.quality_json),
    oodScore: p.ood_score,
    method: p.method,
    nSamples: p.n_samples,
    at: p.created_at,
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
