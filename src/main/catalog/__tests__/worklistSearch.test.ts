import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempServices } from '../../../../test/helpers/tempServices';
import { seedCatalog } from '../../../../test/helpers/seedCatalog';
import { openCatalog } from '../openCatalog';
import { submitReview } from '../reviews';
import { operatingThreshold } from '../settings';
import { NARROW_MATCHES, queryWorklist } from '../worklist';
import type { WorklistFilters, WorklistSort } from '../../../shared/worklist';

/**
 * The worklist's page and total against a plain reference: every row read into JS, filtered,
 * matched by the trigram index (the definition of a search) and sorted by a comparator. Broad
 * searches take other query plans (a checked index walk, from the front or the back), so each
 * must give the same rows in the same order as the reference, on every page.
 */
const N = 3000;
const s = tempServices('cxr-worklist-search-');
afterAll(() => s.cleanup());

interface Entry {
  image_id: number;
  patient_key: string;
  study_date: string | null;
  status: string;
  search_text: string;
  predicted: string | null;
  p_covid: number | null;
  reviewed: number;
}

/**
 * Names that the trigram tokenizer case-folds where SQLite's lower() (ASCII only) does not. 'kelvin'
 * matches over NARROW_MATCHES rows (a broad search), a third of them only through the index's
 * folding of the KELVIN SIGN to 'k'. One patient per two images, so i is even: j counts patients.
 */
function patientName(i: number): string {
  const j = i / 2;
  if (j % 4 !== 0) return j % 3 === 0 ? `\u212Aelvin^Sign${i}` : `Kelvin^Plain${i}`;
  return j % 8 === 0 ? `MÜLLER^Jürgen${i}` : `ΣΊΣΥΦΟΣ^Νίκος${i}`;
}

beforeAll(() => {
  const { imageIds } = seedCatalog(s.catalog, { images: N, excludedShare: 0.05, patientName });
  s.catalog.prepare(`INSERT INTO settings (key, value) VALUES ('reviewer_name', 'Dr Test')`).run();
  // Reviewed rows move to the end of the priority order.
  for (const id of imageIds.filter((_, k) => k % 9 === 4)) submitReview(s.catalog, id, 'NORMAL');
});

/** SQLite's order: NULL below every value; text by code unit, as BINARY collation compares UTF-8 for these strings. */
function cmp(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

function reference(filters: WorklistFilters, sort: WorklistSort): number[] {
  const threshold = operatingThreshold(s.catalog).value;
  let rows = s.catalog.prepare('SELECT * FROM worklist_entries').all() as Entry[];
  const text = filters.text?.trim().toLowerCase();
  if (text) {
    const matched = new Set(
      s.catalog.prepare('SELECT rowid FROM worklist_search WHERE worklist_search MATCH ?').pluck().all(`"${text.replace(/"/g, '""')}"`) as number[],
    );
    rows = rows.filter((r) => matched.has(r.image_id));
  }
  if (filters.flagged) rows = rows.filter((r) => r.p_covid !== null && r.p_covid >= threshold);
  if (filters.unreviewed) rows = rows.filter((r) => r.reviewed === 0);
  if (filters.predicted) rows = rows.filter((r) => r.predicted === filters.predicted);
  if (filters.excluded === 'hide') rows = rows.filter((r) => r.status === 'eligible');
  const dir = sort.dir === 'asc' ? 1 : -1;
  const keys: ((a: Entry, b: Entry) => number)[] = {
    priority: sort.dir === 'desc'
      ? [(a: Entry, b: Entry) => cmp(a.reviewed, b.reviewed), (a: Entry, b: Entry) => -cmp(a.p_covid, b.p_covid)]
      : [(a: Entry, b: Entry) => -cmp(a.reviewed, b.reviewed), (a: Entry, b: Entry) => cmp(a.p_covid, b.p_covid)],
    covid: [(a: Entry, b: Entry) => dir * cmp(a.p_covid, b.p_covid)],
    date: [(a: Entry, b: Entry) => dir * cmp(a.study_date, b.study_date)],
    patient: [(a: Entry, b: Entry) => dir * cmp(a.patient_key, b.patient_key)],
    predicted: [(a: Entry, b: Entry) => dir * cmp(a.predicted, b.predicted), (a: Entry, b: Entry) => -cmp(a.p_covid, b.p_covid)],
  }[sort.key];
  return rows
    .sort((a, b) => {
      for (const k of keys) {
        const c = k(a, b);
        if (c !== 0) return c;
      }
      return a.image_id - b.image_id;
    })
    .map((r) => r.image_id);
}

describe('worklist search: pages and totals against a reference', () => {
  const texts = [
    'chest', // every row: the description
    'synthetic', // every file path
    'covid', // a third of the rows: the file path
    'pid-000', // a common prefix of every patient key
    'kelvin', // broad and ASCII, a third of it matched only through the index's case folding
    'müller', // non-ASCII search text
    'pid-000123', // narrow: a few patients
    'zzzz', // nothing
  ];
  const filterSets: WorklistFilters[] = [{}, { flagged: true }, { unreviewed: true, excluded: 'hide' }, { predicted: 'NORMAL' }];
  const sorts: WorklistSort[] = [
    { key: 'priority', dir: 'desc' },
    { key: 'priority', dir: 'asc' },
    { key: 'covid', dir: 'asc' },
    { key: 'date', dir: 'desc' },
    { key: 'patient', dir: 'asc' },
    { key: 'predicted', dir: 'desc' },
  ];

  it('has broad, narrow and folded searches in its data (else the test proves little)', () => {
    const matches = (t: string) => reference({ text: t }, sorts[0]!).length;
    expect(matches('chest')).toBe(N);
    expect(matches('covid')).toBeGreaterThan(N / 4);
    expect(matches('pid-000123')).toBeLessThan(50);
    // 'kelvin' is broad, and a third of its rows match only through the index's case folding.
    const plain = s.catalog.prepare(`SELECT count(*) FROM worklist_entries WHERE instr(search_text, 'kelvin') > 0`).pluck().get() as number;
    expect(matches('kelvin')).toBeGreaterThanOrEqual(NARROW_MATCHES);
    expect(plain).toBeGreaterThan(0);
    expect(plain).toBeLessThan(matches('kelvin') * 0.8);
    expect(matches('müller')).toBeGreaterThan(100);
  });

  it('returns the same rows in the same order, and the same total, on the first, middle and last pages', () => {
    let checked = 0;
    for (const text of texts) {
      for (const f of filterSets) {
        for (const sort of sorts) {
          const filters = { ...f, text };
          const want = reference(filters, sort);
          const total = want.length;
          const offsets = [...new Set([0, 100, 1200, Math.floor(total / 2), Math.max(0, total - 150), Math.max(0, total - 1), total + 10])];
          for (const offset of offsets) {
            const page = queryWorklist(s.catalog, { filters, sort, offset, limit: 100 });
            const label = JSON.stringify({ filters, sort, offset });
            expect(page.total, label).toBe(total);
            expect(page.rows.map((r) => r.imageId), label).toEqual(want.slice(offset, offset + 100));
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  it('counts again once this connection or another one changes the catalog', () => {
    const filters = { text: 'chest', flagged: true };
    const sort: WorklistSort = { key: 'priority', dir: 'desc' };
    const before = queryWorklist(s.catalog, { filters, sort, offset: 0, limit: 10 });
    expect(before.total).toBe(reference(filters, sort).length);
    // This connection: a review is a write (its trigger updates the worklist row).
    submitReview(s.catalog, before.rows[0]!.imageId, 'COVID19');
    const queue = { ...filters, unreviewed: true };
    const afterReview = queryWorklist(s.catalog, { filters: queue, sort, offset: 0, limit: 10 });
    expect(afterReview.total).toBe(reference(queue, sort).length);
    expect(afterReview.rows.map((r) => r.imageId)).not.toContain(before.rows[0]!.imageId);
    // Another connection (as the import worker writes): the flagged count must drop by one.
    const other = openCatalog(s.catalogPath);
    try {
      other.prepare('UPDATE predictions SET p_covid = 0.0001 WHERE image_id = ?').run(before.rows[1]!.imageId);
    } finally {
      other.close();
    }
    const afterOther = queryWorklist(s.catalog, { filters, sort, offset: 0, limit: 10 });
    expect(afterOther.total).toBe(before.total - 1);
    expect(afterOther.total).toBe(reference(filters, sort).length);
  });

  it('does not keep a count taken inside a transaction that is rolled back', () => {
    const filters = { text: 'synthetic', excluded: 'only' as const };
    const sort: WorklistSort = { key: 'date', dir: 'asc' };
    const before = queryWorklist(s.catalog, { filters, sort, offset: 0, limit: 5 }).total;
    const id = (s.catalog.prepare(`SELECT image_id FROM worklist_entries WHERE status = 'eligible' LIMIT 1`).pluck().get()) as number;
    const rollback = new Error('roll back');
    expect(() =>
      s.catalog.transaction(() => {
        s.catalog.prepare(`UPDATE images SET status = 'excluded' WHERE id = ?`).run(id);
        expect(queryWorklist(s.catalog, { filters, sort, offset: 0, limit: 5 }).total).toBe(before + 1);
        throw rollback;
      })(),
    ).toThrow(rollback);
    expect(queryWorklist(s.catalog, { filters, sort, offset: 0, limit: 5 }).total).toBe(before);
  });
});
