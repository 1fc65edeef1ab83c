import type { Catalog } from './openCatalog';
import { iterateWorklist } from './worklist';
import { LABELS } from '../../shared/labels';
import type { WorklistFilters, WorklistSort } from '../../shared/worklist';
import { currentPrediction } from './predictions';

const BASE_COLUMNS = [
  'image_id',
  'file_name',
  'study_date',
  'modality',
  'view',
  'status',
  'exclusion_reason',
  'reference_label',
  'predicted',
  ...LABELS.flatMap((l) => [`p_${l.toLowerCase()}`, `p_${l.toLowerCase()}_lo`, `p_${l.toLowerCase()}_hi`]),
  'conformal_set',
  'model_id',
  'quality',
  'warnings',
  'review_label',
  'reviewer',
  'review_agrees_with_model',
  'reviewed_at',
] as const;
const IDENTIFIER_COLUMNS = ['patient_id', 'patient_name'] as const;

/**
 * A text cell a spreadsheet could run as a formula: one that starts (after any spaces, tabs or line
 * breaks, which spreadsheets skip) with = + - @ or their full-width forms ＝ ＋ － ＠, or with a
 * tab, CR or LF itself.
 */
const FORMULA_START = /^[\s\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]|^[\t\r\n]/;

/** RFC 4180 quoting; a text cell that could start a formula is prefixed with ' so it stays text. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(6)) : String(v);
  if (typeof v !== 'number' && FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The worklist view as CSV. Patient names and IDs appear only when asked for. */
export function worklistCsv(
  db: Catalog,
  opts: { filters: WorklistFilters; sort: WorklistSort; includeIdentifiers: boolean },
): { csv: string; rowCount: number } {
  const columns = opts.includeIdentifiers ? [...IDENTIFIER_COLUMNS, ...BASE_COLUMNS] : [...BASE_COLUMNS];
  const lines = [columns.join(',')];
  let rowCount = 0;
  for (const row of iterateWorklist(db, opts.filters, opts.sort)) {
    const p = currentPrediction(db, row.imageId);
    const values: Record<string, unknown> = {
      patient_id: row.patientKey,
      patient_name: row.patientName,
      image_id: row.imageId,
      file_name: opts.includeIdentifiers ? row.fileName : null,
      study_date: row.studyDate,
      modality: row.modality,
      view: row.view,
      status: row.status,
      exclusion_reason: row.exclusionReason,
      reference_label: row.referenceLabel,
      predicted: row.predicted,
      conformal_set: p ? p.conformalSet.join('|') : null,
      model_id: p?.modelId,
      quality: row.quality.join('|'),
      warnings: row.warnings.join('|'),
      review_label: row.review?.label,
      reviewer: row.review?.reviewer,
      review_agrees_with_model: row.review ? (row.review.agreesWithModel === null ? '' : row.review.agreesWithModel ? 'yes' : 'no') : null,
      reviewed_at: row.review?.at,
    };
    for (const l of LABELS) {
      const k = `p_${l.toLowerCase()}`;
      values[k] = p?.probabilities[l];
      values[`${k}_lo`] = p?.bands[l].lo;
      values[`${k}_hi`] = p?.bands[l].hi;
    }
    lines.push(columns.map((c) => csvField(values[c])).join(','));
    rowCount++;
  }
  return { csv: `${lines.join('\r\n')}\r\n`, rowCount };
}
