import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { openCatalog, type Catalog } from './openCatalog';
import { iterateWorklist, queryWorklist } from './worklist';
import { LABELS } from '../../shared/labels';
import type { WorklistFilters, WorklistSort } from '../../shared/worklist';
import { currentPredictionReader } from './predictions';
import { tightenMode } from '../services/privateFiles';

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

export interface CsvExportOptions {
  filters: WorklistFilters;
  sort: WorklistSort;
  includeIdentifiers: boolean;
}

export interface CsvExportHooks {
  /** Rows written so far, of the rows in the view. */
  onProgress?: (done: number, total: number) => void;
  /** Aborting stops the export: the temp file is removed and the chosen file left as it was. */
  signal?: AbortSignal;
  /** How long one slice of rows may hold the event loop before the export yields (ms). */
  sliceMs?: number;
}

/** The header and one line per row of the view, in the table's order, read from `db`. */
function* csvLines(db: Catalog, opts: CsvExportOptions): Generator<string> {
  const columns = opts.includeIdentifiers ? [...IDENTIFIER_COLUMNS, ...BASE_COLUMNS] : [...BASE_COLUMNS];
  yield columns.join(',');
  const prediction = currentPredictionReader(db);
  for (const row of iterateWorklist(db, opts.filters, opts.sort)) {
    const p = prediction(row.imageId);
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
    yield columns.map((c) => csvField(values[c])).join(',');
  }
}

/**
 * Writes the worklist view as CSV to `file`, streaming: rows are read in slices of a few ms, each
 * slice appended to a temporary sibling (0600, exclusive) with the event loop free between them,
 * then the file is flushed and renamed over `file`, so a reader or a crash sees the old file or the
 * whole new one. The rows come from a read-only connection of their own, in one read transaction:
 * one snapshot throughout, and the app's connection stays free for writes while the export runs
 * (a statement iterating on it would refuse them). Patient names, IDs and file names appear only
 * with includeIdentifiers.
 */
export async function writeWorklistCsv(
  catalogFile: string,
  opts: CsvExportOptions,
  file: string,
  hooks: CsvExportHooks = {},
): Promise<{ rowCount: number; cancelled: boolean }> {
  const sliceMs = hooks.sliceMs ?? 8;
  const db = openCatalog(catalogFile, { readonly: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let out: fs.promises.FileHandle | null = null;
  let lines: Generator<string> | null = null;
  try {
    db.exec('BEGIN');
    const total = worklistRowCount(db, opts);
    out = await fs.promises.open(tmp, 'wx', 0o600);
    lines = csvLines(db, opts);
    let rowCount = -1; // the header is not a row
    for (;;) {
      if (hooks.signal?.aborted) return { rowCount: Math.max(0, rowCount), cancelled: true };
      const chunk: string[] = [];
      const t0 = performance.now();
      let done = false;
      // At least one line per slice, then as many as fit in sliceMs.
      do {
        const next = lines.next();
        if (next.done) {
          done = true;
          break;
        }
        chunk.push(next.value);
        rowCount++;
      } while (performance.now() - t0 < sliceMs);
      // The write runs on libuv's pool: the event loop turns while it does.
      if (chunk.length) await out.write(`${chunk.join('\r\n')}\r\n`);
      hooks.onProgress?.(Math.max(0, rowCount), total);
      if (done) break;
    }
    await out.sync();
    await out.close();
    out = null;
    fs.renameSync(tmp, file);
    tightenMode(file, 0o600);
    return { rowCount, cancelled: false };
  } finally {
    lines?.return(undefined);
    if (out) await out.close().catch(() => undefined);
    if (db.inTransaction) db.exec('COMMIT');
    db.close();
    fs.rmSync(tmp, { force: true });
  }
}

/** How many rows an export of this view would write (the dialog was cancelled: nothing is built). */
export function worklistRowCount(db: Catalog, opts: Pick<CsvExportOptions, 'filters' | 'sort'>): number {
  return queryWorklist(db, { filters: opts.filters, sort: opts.sort, offset: 0, limit: 1 }).total;
}
