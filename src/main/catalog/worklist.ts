import path from 'node:path';
import type { Catalog } from './openCatalog';
import { operatingThreshold } from './settings';
import { parseBands, parseCodes } from './predictions';
import type { Label } from '../../shared/labels';
import { CxrError } from '../../shared/errors';
import type {
  WorklistCounts,
  WorklistFilters,
  WorklistPage,
  WorklistRow,
  WorklistSort,
} from '../../shared/worklist';

interface Where {
  sql: string;
  params: Record<string, unknown>;
}

/** Builds the WHERE clause over worklist_entries (alias w); every filter is an indexed column or a bounded scan. */
function whereFor(filters: WorklistFilters, threshold: number): Where {
  const parts: string[] = [];
  const params: Record<string, unknown> = {};
  if (filters.flagged) {
    parts.push('w.p_covid >= @threshold');
    params.threshold = threshold;
  }
  if (filters.unreviewed) parts.push('w.reviewed = 0');
  if (filters.predicted) {
    parts.push('w.predicted = @predicted');
    params.predicted = filters.predicted;
  }
  if (filters.excluded === 'hide') parts.push("w.status = 'eligible'");
  if (filters.excluded === 'only') parts.push("w.status = 'excluded'");
  if (filters.dateFrom) {
    parts.push('w.study_date >= @dateFrom');
    params.dateFrom = filters.dateFrom;
  }
  if (filters.dateTo) {
    // Study dates may carry a time; compare against the end of the day.
    parts.push('w.study_date <= @dateTo');
    params.dateTo = `${filters.dateTo}\uffff`;
  }
  // A control character (a NUL ends the FTS5 query string early) is refused, never sent to SQLite.
  // eslint-disable-next-line no-control-regex
  if (filters.text && /[\u0000-\u001f\u007f]/.test(filters.text)) {
    throw new CxrError('BAD_INPUT', 'The search text contains a control character; type plain text only.');
  }
  const text = filters.text?.trim().toLowerCase();
  if (text && [...text].length >= 3) {
    // Trigram index: the quoted phrase matches the text as a substring anywhere.
    parts.push('w.image_id IN (SELECT rowid FROM worklist_search WHERE worklist_search MATCH @text)');
    params.text = `"${text.replace(/"/g, '""')}"`;
  } else if (text) {
    // Too short for trigrams: a scan, bounded by the table size.
    parts.push("w.search_text LIKE @text ESCAPE '\\'");
    params.text = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/** ORDER BY for a sort; image_id breaks ties so that pages never overlap. */
function orderFor(sort: WorklistSort): string {
  const dir = sort.dir === 'asc' ? 'ASC' : 'DESC';
  switch (sort.key) {
    case 'priority':
      // Unreviewed first, then COVID-19 probability; unpredicted (NULL) images sort last.
      return sort.dir === 'desc'
        ? 'ORDER BY w.reviewed ASC, w.p_covid DESC, w.image_id ASC'
        : 'ORDER BY w.reviewed DESC, w.p_covid ASC, w.image_id ASC';
    case 'covid':
      return `ORDER BY w.p_covid ${dir}, w.image_id ASC`;
    case 'date':
      return `ORDER BY w.study_date ${dir}, w.image_id ASC`;
    case 'patient':
      return `ORDER BY w.patient_key ${dir}, w.image_id ASC`;
    case 'predicted':
      return `ORDER BY w.predicted ${dir}, w.p_covid DESC, w.image_id ASC`;
  }
}

interface RawRow {
  image_id: number;
  patient_key: string;
  patient_name: string | null;
  study_date: string | null;
  study_description: string | null;
  modality: string | null;
  view_position: string | null;
  source_path: string;
  status: 'eligible' | 'excluded';
  exclusion_reason: string | null;
  warnings: string;
  reference_label: Label | null;
  predicted: Label | null;
  p_covid: number | null;
  band_json: string | null;
  quality_json: string | null;
  review_label: Label | null;
  reviewer: string | null;
  agrees_with_model: number | null;
  reviewed_at: string | null;
}

const ROW_SELECT = `
  SELECT w.image_id, w.patient_key, p.name AS patient_name, st.study_date, st.description AS study_description,
         s.modality, s.view_position, i.source_path, i.status, i.exclusion_reason, i.warnings, i.reference_label,
         w.predicted, w.p_covid, pr.band_json, pr.quality_json,
         r.label AS review_label, r.reviewer, r.agrees_with_model, r.created_at AS reviewed_at
  FROM worklist_entries w
  JOIN images i ON i.id = w.image_id
  JOIN series s ON s.id = i.series_id
  JOIN studies st ON st.id = s.study_id
  JOIN patients p ON p.id = st.patient_id
  LEFT JOIN predictions pr ON pr.id = w.prediction_id
  LEFT JOIN reviews r ON r.id = w.review_id`;

function toRow(r: RawRow): WorklistRow {
  const band = parseBands(r.band_json).COVID19;
  return {
    imageId: r.image_id,
    patientKey: r.patient_key,
    patientName: r.patient_name,
    studyDate: r.study_date,
    studyDescription: r.study_description,
    modality: r.modality,
    view: r.view_position,
    fileName: path.basename(r.source_path),
    status: r.status,
    exclusionReason: r.exclusion_reason,
    warnings: parseCodes(r.warnings),
    referenceLabel: r.reference_label,
    predicted: r.predicted,
    pCovid: r.p_covid,
    covidBand: band && typeof band.lo === 'number' && typeof band.hi === 'number' ? { lo: band.lo, hi: band.hi } : null,
    quality: parseCodes(r.quality_json),
    review: r.review_label
      ? {
          label: r.review_label,
          reviewer: r.reviewer ?? '',
          agreesWithModel: r.agrees_with_model === null ? null : r.agrees_with_model === 1,
          at: r.reviewed_at ?? '',
        }
      : null,
  };
}

/** Runs a worklist read; an FTS5 error in the search text is the user's input, so BAD_INPUT, not INTERNAL. */
function withSearchErrors<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof Error && /fts5|MATCH|unterminated string|syntax error/i.test(err.message) && !(err instanceof CxrError)) {
      throw new CxrError('BAD_INPUT', `The search text cannot be searched: ${err.message}`);
    }
    throw err;
  }
}

/** One window of the worklist, sorted and filtered in SQLite, with the total that matched. */
export function queryWorklist(
  db: Catalog,
  req: { filters: WorklistFilters; sort: WorklistSort; offset: number; limit: number },
): WorklistPage {
  return withSearchErrors(() => queryWorklistUnchecked(db, req));
}

function queryWorklistUnchecked(
  db: Catalog,
  req: { filters: WorklistFilters; sort: WorklistSort; offset: number; limit: number },
): WorklistPage {
  const t0 = performance.now();
  const threshold = operatingThreshold(db).value;
  const where = whereFor(req.filters, threshold);
  // The window is picked on worklist_entries alone (an index walk), then only those rows are joined.
  const ids = db
    .prepare(`SELECT w.image_id FROM worklist_entries w ${where.sql} ${orderFor(req.sort)} LIMIT @limit OFFSET @offset`)
    .pluck()
    .all({ ...where.params, limit: req.limit, offset: req.offset }) as number[];
  const byId = new Map<number, RawRow>();
  if (ids.length) {
    const raw = db.prepare(`${ROW_SELECT} WHERE w.image_id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)) as RawRow[];
    for (const r of raw) byId.set(r.image_id, r);
  }
  const rows = ids.map((id) => byId.get(id)).filter((r): r is RawRow => r !== undefined);
  const { n } = db.prepare(`SELECT count(*) AS n FROM worklist_entries w ${where.sql}`).get(where.params) as { n: number };
  return { rows: rows.map(toRow), total: n, offset: req.offset, threshold, queryMs: performance.now() - t0 };
}

/** Reads one worklist row by image id. */
export function worklistRow(db: Catalog, imageId: number): WorklistRow | undefined {
  const r = db.prepare(`${ROW_SELECT} WHERE w.image_id = ?`).get(imageId) as RawRow | undefined;
  return r && toRow(r);
}

/** Every row of a view, for export: same filters and order as the table. */
export function* iterateWorklist(db: Catalog, filters: WorklistFilters, sort: WorklistSort): Generator<WorklistRow> {
  const where = whereFor(filters, operatingThreshold(db).value);
  const stmt = db.prepare(`${ROW_SELECT} ${where.sql} ${orderFor(sort)}`);
  const rows = withSearchErrors(() => stmt.iterate(where.params) as IterableIterator<RawRow>);
  for (;;) {
    const next = withSearchErrors(() => rows.next());
    if (next.done) return;
    yield toRow(next.value);
  }
}

export function worklistCounts(db: Catalog): WorklistCounts {
  const threshold = operatingThreshold(db).value;
  // One indexed count each: a single SUM(...) pass would read all 100,000 rows every time.
  const n = (sql: string, ...params: unknown[]) => db.prepare(`SELECT count(*) FROM worklist_entries WHERE ${sql}`).pluck().get(...params) as number;
  const images = db.prepare('SELECT count(*) FROM worklist_entries').pluck().get() as number;
  const excluded = n("status = 'excluded'");
  return {
    images,
    eligible: images - excluded,
    excluded,
    predicted: n('p_covid IS NOT NULL'),
    flagged: n('p_covid >= ?', threshold),
    flaggedUnreviewed: n('reviewed = 0 AND p_covid >= ?', threshold),
    reviewed: n('reviewed = 1'),
    threshold,
  };
}
