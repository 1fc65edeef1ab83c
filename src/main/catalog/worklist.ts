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

/** The search text as the query needs it: none, a LIKE scan (under 3 characters), or a trigram phrase. */
type Search =
  | { kind: 'none' }
  | { kind: 'like'; pattern: string }
  /** `needle` is the text itself when it is plain ASCII, so that a row can be checked by instr(); else null. */
  | { kind: 'fts'; match: string; needle: string | null };

function searchFor(raw: string | undefined): Search {
  // A control character (a NUL ends the FTS5 query string early) is refused, never sent to SQLite.
  // eslint-disable-next-line no-control-regex
  if (raw && /[\u0000-\u001f\u007f]/.test(raw)) {
    throw new CxrError('BAD_INPUT', 'The search text contains a control character; type plain text only.');
  }
  const text = raw?.trim().toLowerCase();
  if (!text) return { kind: 'none' };
  // Too short for trigrams: a scan, bounded by the table size.
  if ([...text].length < 3) return { kind: 'like', pattern: `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%` };
  // eslint-disable-next-line no-control-regex
  return { kind: 'fts', match: `"${text.replace(/"/g, '""')}"`, needle: /^[\u0000-\u007f]*$/.test(text) ? text : null };
}

/**
 * How the trigram search is applied. 'index': the rows the FTS index matches, all of them (cheap
 * when few match). 'rowCheck': each row the ORDER BY index walk reaches is checked on its own, so
 * a LIMIT stops the walk early (cheap when many match). Both select exactly the same rows: for an
 * ASCII needle and a row whose search_text is ASCII (already lower-cased), the trigram phrase
 * matches exactly when the needle is a substring; a row with any other character (which the
 * trigram tokenizer case-folds, e.g. 'Ü' or the Kelvin sign) is looked up in the FTS index.
 */
type SearchMode = 'index' | 'rowCheck';

const FTS_IN = 'w.image_id IN (SELECT rowid FROM worklist_search WHERE worklist_search MATCH @text)';
const ROW_CHECK = `(instr(w.search_text, @needle) > 0 OR (octet_length(w.search_text) > length(w.search_text) AND ${FTS_IN}))`;

/** Builds the WHERE clause over worklist_entries (alias w); every filter is an indexed column or a bounded scan. */
function whereFor(filters: WorklistFilters, threshold: number, search: Search, mode: SearchMode): Where {
  const { sql, params } = filterWhere(filters, threshold);
  const parts = sql ? [sql] : [];
  if (search.kind === 'like') {
    parts.push("w.search_text LIKE @text ESCAPE '\\'");
    params.text = search.pattern;
  } else if (search.kind === 'fts') {
    params.text = search.match;
    if (mode === 'rowCheck' && search.needle !== null) {
      parts.push(ROW_CHECK);
      params.needle = search.needle;
    } else {
      // Trigram index: the quoted phrase matches the text as a substring anywhere.
      parts.push(FTS_IN);
    }
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/** The filters other than the search text, as one AND-ed condition ('' when there are none). */
function filterWhere(filters: WorklistFilters, threshold: number): Where {
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
  return { sql: parts.join(' AND '), params };
}

/** The ORDER BY terms for a sort; image_id breaks ties so that pages never overlap. */
function orderTerms(sort: WorklistSort): [column: string, dir: 'ASC' | 'DESC'][] {
  const dir = sort.dir === 'asc' ? 'ASC' : 'DESC';
  switch (sort.key) {
    case 'priority':
      // Unreviewed first, then COVID-19 probability; unpredicted (NULL) images sort last.
      return sort.dir === 'desc'
        ? [['w.reviewed', 'ASC'], ['w.p_covid', 'DESC'], ['w.image_id', 'ASC']]
        : [['w.reviewed', 'DESC'], ['w.p_covid', 'ASC'], ['w.image_id', 'ASC']];
    case 'covid':
      return [['w.p_covid', dir], ['w.image_id', 'ASC']];
    case 'date':
      return [['w.study_date', dir], ['w.image_id', 'ASC']];
    case 'patient':
      return [['w.patient_key', dir], ['w.image_id', 'ASC']];
    case 'predicted':
      return [['w.predicted', dir], ['w.p_covid', 'DESC'], ['w.image_id', 'ASC']];
  }
}

/**
 * ORDER BY for a sort, or its exact reverse: every term flips, and since SQLite sorts NULL as the
 * smallest value, NULLs move to the other end with it. image_id is unique, so the order is total.
 */
function orderFor(sort: WorklistSort, reverse = false): string {
  const flip = (d: 'ASC' | 'DESC') => (reverse ? (d === 'ASC' ? 'DESC' : 'ASC') : d);
  return `ORDER BY ${orderTerms(sort).map(([c, d]) => `${c} ${flip(d)}`).join(', ')}`;
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

/**
 * Below this many trigram matches a search is narrow: the FTS index lists them faster than a walk
 * would find them. Counting up to it costs a few milliseconds even when every row matches.
 */
export const NARROW_MATCHES = 2000;
/** The most rows a row-check walk may visit (about 20 ms here); past it the FTS index is cheaper. */
const MAX_WALK = 25_000;

function queryWorklistUnchecked(
  db: Catalog,
  req: { filters: WorklistFilters; sort: WorklistSort; offset: number; limit: number },
): WorklistPage {
  const t0 = performance.now();
  const threshold = operatingThreshold(db).value;
  const search = searchFor(req.filters.text);
  const cache = countCache(db);
  const probe = search.kind === 'fts' && search.needle !== null ? cache.get(`probe\0${search.match}`, () => probeSearch(db, search.match)) : null;
  const broad = probe?.broad ?? false;
  // For the estimates only: the id span stands in for the row count (max() is one index seek, count(*) a scan).
  const rows = broad ? cache.get('rows', () => (db.prepare('SELECT max(image_id) FROM worklist_entries').pluck().get() as number | null) ?? 0) : 0;
  const total = cache.get(`total\0${threshold}\0${JSON.stringify(countKey(req.filters))}`, () =>
    countView(db, req.filters, threshold, search, probe && { ...probe, rows }),
  );
  const ids = pageIds(db, req, { threshold, search, broad, total, rows });
  const byId = new Map<number, RawRow>();
  if (ids.length) {
    const raw = db.prepare(`${ROW_SELECT} WHERE w.image_id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)) as RawRow[];
    for (const r of raw) byId.set(r.image_id, r);
  }
  const found = ids.map((id) => byId.get(id)).filter((r): r is RawRow => r !== undefined);
  return { rows: found.map(toRow), total, offset: req.offset, threshold, queryMs: performance.now() - t0 };
}

interface SearchProbe {
  /** At least NARROW_MATCHES rows match. */
  broad: boolean;
  /** Matches estimated from where the first NARROW_MATCHES fall in the rowid range (FTS5 lists them in rowid order). */
  estimate: number;
}

/** The first NARROW_MATCHES matches of a trigram phrase (the FTS scan stops there): how broad the search is. */
function probeSearch(db: Catalog, match: string): SearchProbe {
  const { n, last } = db
    .prepare('SELECT count(*) AS n, max(rowid) AS last FROM (SELECT rowid FROM worklist_search WHERE worklist_search MATCH ? LIMIT ?)')
    .get(match, NARROW_MATCHES) as { n: number; last: number | null };
  if (n < NARROW_MATCHES || last === null) return { broad: false, estimate: n };
  const maxId = db.prepare('SELECT max(image_id) FROM worklist_entries').pluck().get() as number;
  return { broad: true, estimate: (n * maxId) / last };
}

/**
 * Measured here: the FTS index counts a phrase at ~0.05 µs per match per trigram, a walk of the
 * covering priority index checks ~0.13 µs per row; so the index is the cheaper count while
 * matches × trigrams stay under about 3 × rows.
 */
const FTS_COUNT_PER_ROW_WALK = 3;

/** The total for a view: the one count a page needs, cached by the caller. */
function countView(
  db: Catalog,
  filters: WorklistFilters,
  threshold: number,
  search: Search,
  probe: (SearchProbe & { rows: number }) | null,
): number {
  const filtered = filterWhere(filters, threshold).sql !== '';
  if (search.kind === 'fts' && !filtered) {
    const trigrams = (search.needle?.length ?? 3) - 2;
    if (!probe?.broad || probe.estimate * trigrams < FTS_COUNT_PER_ROW_WALK * probe.rows) {
      // A search alone: the index's own count.
      return db.prepare('SELECT count(*) FROM worklist_search WHERE worklist_search MATCH ?').pluck().get(search.match) as number;
    }
  }
  const broad = probe?.broad ?? false;
  const where = whereFor(filters, threshold, search, broad ? 'rowCheck' : 'index');
  // A broad search with only the review-queue filters: one walk of the covering index, which holds
  // reviewed, p_covid and search_text (the planner would take the p_covid range and look up each row).
  const onlyQueueFilters = Object.entries(filters).every(
    ([k, v]) => k === 'text' || k === 'flagged' || k === 'unreviewed' || v === undefined || (k === 'excluded' && v === 'all'),
  );
  const from = broad && onlyQueueFilters ? 'worklist_entries w INDEXED BY worklist_priority_text' : 'worklist_entries w';
  return db.prepare(`SELECT count(*) FROM ${from} ${where.sql}`).pluck().get(where.params) as number;
}

/**
 * The image ids of one page, in order. The window is picked on worklist_entries alone (an index
 * walk), then only those rows are joined. A broad search walks the sort index checking each row,
 * from the front or, for a page nearer the end, from the back in the reversed order (knowing the
 * exact total, the same rows); a narrow one, or a page deep in the middle, takes the FTS matches.
 */
function pageIds(
  db: Catalog,
  req: { filters: WorklistFilters; sort: WorklistSort; offset: number; limit: number },
  q: { threshold: number; search: Search; broad: boolean; total: number; rows: number },
): number[] {
  if (req.offset >= q.total) return [];
  const limit = Math.min(req.limit, q.total - req.offset);
  // Rows a walk visits to reach the page, assuming matches spread evenly over the walk.
  const perMatch = q.rows / q.total;
  const fromFront = (req.offset + limit) * perMatch;
  const fromBack = (q.total - req.offset) * perMatch;
  const mode: SearchMode = q.broad && Math.min(fromFront, fromBack) <= MAX_WALK ? 'rowCheck' : 'index';
  const reverse = mode === 'rowCheck' && fromBack < fromFront;
  const where = whereFor(req.filters, q.threshold, q.search, mode);
  const ids = db
    .prepare(`SELECT w.image_id FROM worklist_entries w ${where.sql} ${orderFor(req.sort, reverse)} LIMIT @limit OFFSET @offset`)
    .pluck()
    .all({ ...where.params, limit, offset: reverse ? q.total - req.offset - limit : req.offset }) as number[];
  return reverse ? ids.reverse() : ids;
}

/** The filters as they decide which rows match (not the order), so that one count serves every sort and page. */
function countKey(f: WorklistFilters): unknown[] {
  return [f.flagged ?? false, f.unreviewed ?? false, f.predicted ?? null, f.excluded ?? 'all', f.dateFrom ?? null, f.dateTo ?? null, f.text?.trim().toLowerCase() ?? ''];
}

/**
 * Counts remembered per catalog connection until its data changes: a search that matches most of
 * 100,000 rows costs tens of ms to count, and paging or re-sorting it must not pay that again.
 * The version is PRAGMA data_version (commits by other connections: the import worker) with
 * total_changes() (rows this connection changed, triggers included). Inside a transaction nothing
 * is remembered, since a rollback would undo what was counted without changing either.
 */
interface CountCache {
  get<T>(key: string, compute: () => T): T;
}

const MAX_CACHED = 64;
const countCaches = new WeakMap<Catalog, { version: string; entries: Map<string, unknown> }>();

function countCache(db: Catalog): CountCache {
  const version = `${db.pragma('data_version', { simple: true }) as number}:${db.prepare('SELECT total_changes()').pluck().get() as number}`;
  let state = countCaches.get(db);
  if (!state || state.version !== version) {
    state = { version, entries: new Map() };
    countCaches.set(db, state);
  }
  const { entries } = state;
  return {
    get<T>(key: string, compute: () => T): T {
      if (db.inTransaction) return compute();
      if (entries.has(key)) return entries.get(key) as T;
      const value = compute();
      if (entries.size >= MAX_CACHED) entries.delete(entries.keys().next().value!);
      entries.set(key, value);
      return value;
    },
  };
}

/** Reads one worklist row by image id. */
export function worklistRow(db: Catalog, imageId: number): WorklistRow | undefined {
  const r = db.prepare(`${ROW_SELECT} WHERE w.image_id = ?`).get(imageId) as RawRow | undefined;
  return r && toRow(r);
}

/** Every row of a view, for export: same filters and order as the table. */
export function* iterateWorklist(db: Catalog, filters: WorklistFilters, sort: WorklistSort): Generator<WorklistRow> {
  const where = whereFor(filters, operatingThreshold(db).value, searchFor(filters.text), 'index');
  const stmt = db.prepare(`${ROW_SELECT} ${where.sql} ${orderFor(sort)}`);
  const rows = withSearchErrors(() => stmt.iterate(where.params) as IterableIterator<RawRow>);
  try {
    for (;;) {
      const next = withSearchErrors(() => rows.next());
      if (next.done) return;
      yield toRow(next.value);
    }
  } finally {
    // A caller that stops early (a cancelled export) must end the statement, or the connection stays busy.
    rows.return?.();
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
