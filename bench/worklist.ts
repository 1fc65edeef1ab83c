/**
 * Worklist query benchmark: 100,000 synthetic catalog rows, then the queries the table makes
 * (first page, deep pages, each filter, the counts), timed over repeats. Prints JSON.
 * Run: npx tsx bench/worklist.ts   (the scroll fps figure comes from test/e2e/appScroll.test.ts)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openCatalog } from '../src/main/catalog/openCatalog';
import { queryWorklist, worklistCounts } from '../src/main/catalog/worklist';
import { DEFAULT_SORT, type WorklistFilters, type WorklistSort } from '../src/shared/worklist';
import { seedCatalog } from '../test/helpers/seedCatalog';

const N = Number(process.env.BENCH_ROWS ?? 100_000);
const REPEATS = 30;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-bench-worklist-'));
const db = openCatalog(path.join(dir, 'catalog.sqlite'));
try {
  const t0 = performance.now();
  seedCatalog(db, { images: N });
  const seedMs = performance.now() - t0;
  db.pragma('optimize');

  const cases: { name: string; filters: WorklistFilters; sort?: WorklistSort; offset?: number }[] = [
    { name: 'default first page', filters: {} },
    { name: 'default page at 50,000', filters: {}, offset: 50_000 },
    { name: 'default page at 99,900', filters: {}, offset: N - 100 },
    { name: 'flagged + unreviewed (review queue)', filters: { flagged: true, unreviewed: true } },
    { name: 'predicted PNEUMONIA', filters: { predicted: 'PNEUMONIA' } },
    { name: 'excluded only', filters: { excluded: 'only' } },
    { name: 'date range (one month)', filters: { dateFrom: '2020-06-01', dateTo: '2020-06-30' } },
    { name: 'date sort desc, page at 20,000', filters: {}, sort: { key: 'date', dir: 'desc' }, offset: 20_000 },
    { name: 'patient sort asc', filters: {}, sort: { key: 'patient', dir: 'asc' } },
    { name: 'text search "pid-00123"', filters: { text: 'pid-00123' } },
  ];
  const results = cases.map((c) => {
    const times: number[] = [];
    let total = 0;
    for (let i = 0; i < REPEATS; i++) {
      const t = performance.now();
      const page = queryWorklist(db, { filters: c.filters, sort: c.sort ?? DEFAULT_SORT, offset: c.offset ?? 0, limit: 100 });
      times.push(performance.now() - t);
      total = page.total;
    }
    times.sort((a, b) => a - b);
    return {
      name: c.name,
      total,
      medianMs: +times[Math.floor(times.length / 2)]!.toFixed(2),
      p95Ms: +times[Math.floor(times.length * 0.95)]!.toFixed(2),
    };
  });
  const tc = performance.now();
  worklistCounts(db);
  const countsMs = performance.now() - tc;
  const worst = Math.max(...results.map((r) => r.p95Ms));
  console.log(
    JSON.stringify(
      { rows: N, pageSize: 100, seedMs: Math.round(seedMs), queries: results, countsMs: +countsMs.toFixed(2), worstP95Ms: worst, budgetMs: 20, withinBudget: worst <= 20 },
      null,
      2,
    ),
  );
} finally {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
