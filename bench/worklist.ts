/**
 * Worklist query benchmark: 100,000 synthetic catalog rows, then the queries the table makes
 * (first page, deep pages, each filter, broad and narrow searches, the counts) timed over repeats,
 * and a whole-worklist CSV export in a child process of its own (so that its peak RSS is its own).
 * Prints JSON. Run: npx tsx bench/worklist.ts   (BENCH_ROWS=20000 for a quicker run)
 * The scroll fps figure comes from test/e2e/appScroll.test.ts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { openCatalog } from '../src/main/catalog/openCatalog';
import { queryWorklist, worklistCounts } from '../src/main/catalog/worklist';
import { writeWorklistCsv } from '../src/main/catalog/export';
import { DEFAULT_SORT, type WorklistFilters, type WorklistSort } from '../src/shared/worklist';
import { seedCatalog } from '../test/helpers/seedCatalog';

const N = Number(process.env.BENCH_ROWS ?? 100_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 15);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)]!;

/**
 * Child mode: one CSV export of the whole worklist from an existing catalog, as export.csv runs it
 * (streamed to a file); prints its time, peak RSS above the RSS at its start, and the longest the
 * event loop was held (what a ping over IPC would wait).
 */
async function exportChild(catalogFile: string, out: string): Promise<void> {
  const rssBefore = process.memoryUsage().rss;
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  // The histogram records a delay from its second tick on: let it tick before the export starts.
  await new Promise((r) => setTimeout(r, 50));
  const t = performance.now();
  const { rowCount } = await writeWorklistCsv(catalogFile, { filters: {}, sort: DEFAULT_SORT, includeIdentifiers: false }, out);
  const ms = performance.now() - t;
  await new Promise((r) => setTimeout(r, 20));
  loop.disable();
  const peakRss = process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify({ rowCount, ms: Math.round(ms), bytes: fs.statSync(out).size, peakRssDeltaMb: Math.round((peakRss - rssBefore) / 2 ** 20), maxEventLoopBlockMs: Math.round(loop.max / 1e6) }));
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-bench-worklist-'));
  // BENCH_REUSE=1 keeps the seeded catalog between runs (seeding 100,000 rows takes ~35 s here).
  const kept = path.join(os.tmpdir(), `cxr-bench-worklist-${N}.sqlite`);
  const file = process.env.BENCH_REUSE ? kept : path.join(dir, 'catalog.sqlite');
  const seeded = fs.existsSync(file);
  const db = openCatalog(file);
  try {
    const t0 = performance.now();
    if (!seeded) {
      seedCatalog(db, { images: N });
      db.pragma('optimize');
    }
    const seedMs = performance.now() - t0;
    // A write to a temp table changes the connection's total_changes(), so the next query counts
    // afresh, as after an import or a review: the "cold" figure.
    db.exec('CREATE TEMP TABLE bench_bump (x)');
    const bump = db.prepare('INSERT INTO bench_bump VALUES (1)');

    // "chest" is in every row's description and "synthetic" in every path: searches that match all rows.
    const cases: { name: string; filters: WorklistFilters; sort?: WorklistSort; offset?: number }[] = [
      { name: 'default first page', filters: {} },
      { name: 'default page at 50,000', filters: {}, offset: 50_000 },
      { name: 'default page at 99,900', filters: {}, offset: N - 100 },
      { name: 'flagged', filters: { flagged: true } },
      { name: 'flagged + unreviewed (review queue)', filters: { flagged: true, unreviewed: true } },
      { name: 'predicted PNEUMONIA', filters: { predicted: 'PNEUMONIA' } },
      { name: 'excluded only', filters: { excluded: 'only' } },
      { name: 'date range (one month)', filters: { dateFrom: '2020-06-01', dateTo: '2020-06-30' } },
      { name: 'date sort desc, page at 20,000', filters: {}, sort: { key: 'date', dir: 'desc' }, offset: 20_000 },
      { name: 'patient sort asc', filters: {}, sort: { key: 'patient', dir: 'asc' } },
      { name: 'narrow search "pid-00123"', filters: { text: 'pid-00123' } },
      { name: 'broad search "chest" page 1', filters: { text: 'chest' } },
      { name: 'broad search "chest" page 50', filters: { text: 'chest' }, offset: 49 * 100 },
      { name: 'broad search "covid" page 1 (a third of rows)', filters: { text: 'covid' } },
      { name: 'broad search "synthetic" + flagged page 1', filters: { text: 'synthetic', flagged: true } },
      { name: 'broad search "chest", patient sort, page 50', filters: { text: 'chest' }, sort: { key: 'patient', dir: 'asc' }, offset: 49 * 100 },
    ];
    // One pass first, so that SQLite's page cache holds the tables and indexes (as in a running app).
    for (const c of cases) queryWorklist(db, { filters: c.filters, sort: c.sort ?? DEFAULT_SORT, offset: c.offset ?? 0, limit: 100 });
    // cold: the first query after a catalog change (counts the total); warm: paging the same view.
    const queries = cases.map((c) => {
      const cold: number[] = [];
      const warm: number[] = [];
      let total = 0;
      const run = () => {
        const t = performance.now();
        total = queryWorklist(db, { filters: c.filters, sort: c.sort ?? DEFAULT_SORT, offset: c.offset ?? 0, limit: 100 }).total;
        return performance.now() - t;
      };
      for (let i = 0; i < REPEATS; i++) {
        bump.run();
        cold.push(run());
        warm.push(run());
      }
      return {
        name: c.name,
        total,
        coldMedianMs: +median(cold).toFixed(2),
        coldP95Ms: +p95(cold).toFixed(2),
        warmMedianMs: +median(warm).toFixed(2),
        warmP95Ms: +p95(warm).toFixed(2),
      };
    });
    const countTimes: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const tc = performance.now();
      worklistCounts(db);
      countTimes.push(performance.now() - tc);
    }
    db.close();

    const exportRuns = Number(process.env.BENCH_EXPORT_RUNS ?? 3);
    const exports: { rowCount: number; ms: number; bytes: number; peakRssDeltaMb: number; maxEventLoopBlockMs: number }[] = [];
    for (let i = 0; i < exportRuns; i++) {
      const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--export-child', file, path.join(dir, `export-${i}.csv`)], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`export child failed: ${child.stderr}`);
      exports.push(JSON.parse(child.stdout.trim().split('\n').at(-1)!));
    }
    const worst = Math.max(...queries.map((r) => r.coldMedianMs));
    console.log(
      JSON.stringify(
        {
          rows: N,
          pageSize: 100,
          repeats: REPEATS,
          seedMs: Math.round(seedMs),
          queries,
          countsMedianMs: +median(countTimes).toFixed(2),
          csvExport: {
            runs: exports,
            medianMs: median(exports.map((e) => e.ms)),
            medianPeakRssDeltaMb: median(exports.map((e) => e.peakRssDeltaMb)),
            medianMaxEventLoopBlockMs: median(exports.map((e) => e.maxEventLoopBlockMs)),
          },
          worstColdMedianMs: worst,
          budgetMs: 20,
          withinBudget: worst <= 20,
        },
        null,
        2,
      ),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const childAt = process.argv.indexOf('--export-child');
await (childAt >= 0 ? exportChild(process.argv[childAt + 1]!, process.argv[childAt + 2]!) : main());
