import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openCatalog, type Catalog } from '../../src/main/catalog/openCatalog';
import { runImport } from '../../src/main/import/importRun';
import { scanRoots } from '../../src/main/import/scan';
import { importFile } from '../../src/main/import/importFile';
import { createHandlers } from '../../src/main/ipc/handlers';
import type { ImportSummary } from '../../src/shared/import';
import { tempServices } from '../helpers/tempServices';
import { writeCorpus, type Corpus } from './badCorpus';

/** Gitignored: written at test time, never committed. */
const CORPUS_DIR = path.resolve(import.meta.dirname, '../fixtures/bad');
const PER_FILE_LIMIT_MS = 5_000;

let corpus: Corpus;
let work: string;
let db: Catalog;
let summary: ImportSummary;

beforeAll(async () => {
  corpus = await writeCorpus(CORPUS_DIR);
  for (const n of corpus.notes) console.log(`bad inputs: ${n}`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-bad-'));
  db = openCatalog(path.join(work, 'catalog.sqlite'));
  summary = await runImport({ db, dataDir: work, roots: [corpus.dir], labelsFromFolders: false });
});
afterAll(() => {
  db?.close();
  fs.rmSync(work, { recursive: true, force: true });
  // Leave nothing unreadable behind for the next run's rmSync.
  fs.rmSync(CORPUS_DIR, { recursive: true, force: true });
});

const rowOf = (name: string) =>
  db.prepare('SELECT status, exclusion_reason, rendering_hash FROM images WHERE source_path = ?').get(path.join(corpus.dir, name)) as
    | { status: string; exclusion_reason: string | null; rendering_hash: string | null }
    | undefined;

describe('bad-input corpus through the import', () => {
  it('gives every bad file a clear row (file, reason) and imports the good files beside them', () => {
    const errors = new Map(summary.errors.map((e) => [e.file, e.reason]));
    const report: string[] = [];
    for (const c of corpus.bad) {
      const file = path.join(corpus.dir, c.name);
      if ('error' in c.expect) {
        const reason = errors.get(file);
        expect(reason, `${c.name} (${c.what}) has an error row`).toBeTruthy();
        // Readable: one line, short, no stack trace.
        expect(reason!.length, c.name).toBeLessThan(400);
        expect(reason, c.name).not.toMatch(/\n|\bat .+:\d+:\d+/);
        expect(rowOf(c.name)?.status ?? 'excluded', `${c.name} is never eligible for prediction`).toBe('excluded');
        report.push(`${c.name}: ${reason}`);
      } else if ('excluded' in c.expect) {
        const row = rowOf(c.name);
        expect(row, `${c.name} is catalogued`).toBeDefined();
        expect(row!.exclusion_reason, `${c.name} (${c.what})`).toBe(c.expect.excluded);
        expect(row!.rendering_hash, `${c.name} was never decoded`).toBeNull();
        report.push(`${c.name}: excluded ${row!.exclusion_reason}`);
      } else {
        expect(rowOf(c.name)?.status, c.name).toBe('eligible');
        report.push(`${c.name}: imported (${c.what})`);
      }
    }
    for (const g of corpus.good) {
      const row = rowOf(g);
      expect(row?.status, g).toBe('eligible');
      expect(fs.existsSync(path.join(work, 'renderings', `${row!.rendering_hash}.png`)), `${g} rendering`).toBe(true);
    }
    // Every error row is in the catalog too, with the file it is about.
    const stored = db.prepare('SELECT path, reason FROM import_errors WHERE import_id = ?').all(summary.importId) as { path: string; reason: string }[];
    expect(stored.length).toBe(summary.errors.length);
    expect(summary.status).toBe('completed');
    // Decode threads live in this process: the codestream bombs did not blow up memory.
    expect(process.memoryUsage().rss).toBeLessThan(2 * 2 ** 30);
    console.log(`bad inputs: ${corpus.bad.length} cases, ${summary.errors.length} error rows, 0 crashes, ${corpus.good.length} good files imported\n  ${report.join('\n  ')}`);
  });

  it('spends under 5 s on any one file (header-refused bomb, FIFO and /dev/zero never read)', async () => {
    const t0 = performance.now();
    const { files } = await scanRoots([corpus.dir]);
    expect(performance.now() - t0).toBeLessThan(PER_FILE_LIMIT_MS);
    const claimed = new Set<string>();
    const ctx = { dataDir: work, labelsFromFolders: false, claim: (uid: string) => !claimed.has(uid) && claimed.add(uid) !== undefined };
    let slowest = { file: '', ms: 0 };
    for (const f of files) {
      const t = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        importFile(f, ctx),
        new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), PER_FILE_LIMIT_MS))),
      ]);
      clearTimeout(timer);
      const ms = performance.now() - t;
      expect(outcome, `${path.relative(corpus.dir, f.path)} took over ${PER_FILE_LIMIT_MS} ms`).not.toBe('hang');
      if (ms > slowest.ms) slowest = { file: path.relative(corpus.dir, f.path), ms: Math.round(ms) };
    }
    console.log(`bad inputs: slowest file ${slowest.file} in ${slowest.ms} ms`);
  });

  it('is idempotent over the corpus: a rerun adds nothing and duplicates nothing', async () => {
    const before = (db.prepare('SELECT count(*) AS n FROM images').get() as { n: number }).n;
    const again = await runImport({ db, dataDir: work, roots: [corpus.dir], labelsFromFolders: false });
    expect(again.imported).toBe(0);
    expect(again.errors.length).toBe(summary.errors.filter((e) => !rowOf(path.relative(corpus.dir, e.file))).length);
    expect((db.prepare('SELECT count(*) AS n FROM images').get() as { n: number }).n).toBe(before);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('runs the corpus in the import worker without taking the app down; ping answers meanwhile', async () => {
    const s = tempServices('cxr-bad-worker-');
    try {
      const h = createHandlers(s);
      s.importRoots.add(corpus.dir);
      const done = new Promise<ImportSummary>((resolve) => {
        const off = s.events.subscribe((e, p) => {
          if (e === 'import.done') {
            off();
            resolve(p as ImportSummary);
          }
        });
      });
      const started = await h['import.start']({ roots: [corpus.dir] });
      expect(started.ok).toBe(true);
      let worstPing = 0;
      let finished: ImportSummary | null = null;
      void done.then((d) => (finished = d));
      while (!finished) {
        const t = performance.now();
        const pong = await h['system.ping']({ t: Date.now() });
        expect(pong.ok).toBe(true);
        worstPing = Math.max(worstPing, performance.now() - t);
        await new Promise((r) => setTimeout(r, 20));
      }
      const sum = finished as ImportSummary;
      expect(sum.status).toBe('completed');
      expect(sum.errors.length).toBe(summary.errors.length);
      expect(sum.imported).toBe(summary.imported);
      expect(worstPing).toBeLessThan(100);
      const status = await h['import.status']({});
      expect(status).toMatchObject({ ok: true, value: { running: false } });
    } finally {
      await s.cleanup();
    }
  });
});
