import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SHARED_DATA } from '../../../../test/helpers/tempServices';
import { seedCatalog } from '../../../../test/helpers/seedCatalog';
import { rows } from '../../../../test/helpers/catalogQuery';
import { openCatalog } from '../../catalog/openCatalog';
import { submitReview } from '../../catalog/reviews';
import { REVIEWER_SETTING, setSetting } from '../../catalog/settings';
import { createImport } from '../../catalog/imports';
import { importCommand } from '../../../cli/commands/import';
import type { ImportSummary } from '../../../shared/import';

const VAL = path.join(SHARED_DATA, 'cxr3', 'images', 'val');
const ROOT = path.resolve(__dirname, '../../../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-concurrent-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Child {
  exited: Promise<{ code: number | null; summary: ImportSummary }>;
  running: () => boolean;
}

/** `cxr import <folders> --json` as a child process on the given catalog. */
function cliImport(db: string, folders: string[]): Child {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/index.ts', 'import', ...folders, '--labels-from-folders', '--db', db, '--data-dir', dir, '--json'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let out = '';
  let alive = true;
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; summary: ImportSummary }>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      alive = false;
      resolve({ code, summary: JSON.parse(out || '{}') as ImportSummary });
    });
  });
  return { exited, running: () => alive };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('the catalog under two writers', () => {
  it('takes every review submitted while another process imports: 0 failed of at least 1,000', async () => {
    const file = path.join(dir, 'reviews.sqlite');
    const db = openCatalog(file);
    try {
      const ids = seedCatalog(db, { images: 200, excludedShare: 0 }).imageIds;
      setSetting(db, REVIEWER_SETTING, 'Dr Ada');
      const child = cliImport(file, [VAL]);
      let submitted = 0;
      const failures: string[] = [];
      // Reviews for as long as the import writes (and at least 1,000 of them).
      while (child.running() || submitted < 1000) {
        try {
          submitReview(db, ids[submitted % ids.length]!, submitted % 2 ? 'NORMAL' : 'PNEUMONIA');
        } catch (err) {
          failures.push((err as Error).message);
        }
        submitted++;
        await tick();
      }
      const { code, summary } = await child.exited;
      expect({ failed: failures.length, first: failures[0] }).toEqual({ failed: 0, first: undefined });
      expect(submitted).toBeGreaterThanOrEqual(1000);
      expect(code).toBe(0);
      expect(summary).toMatchObject({ status: 'completed', imported: 570, errorCount: 0 });
      expect(rows(db, 'SELECT count(*) AS n FROM reviews')).toEqual([{ n: submitted }]);
      console.log(`reviews during a concurrent import: ${failures.length} failed of ${submitted}`);
    } finally {
      db.close();
    }
  }, 240_000);

  it('runs two `cxr import` processes on one catalog to the end, each with its own right counts', async () => {
    const file = path.join(dir, 'two.sqlite');
    openCatalog(file).close();
    const a = cliImport(file, [path.join(VAL, 'PNEUMONIA')]);
    const b = cliImport(file, [path.join(VAL, 'NORMAL'), path.join(VAL, 'COVID19')]);
    const [ra, rb] = await Promise.all([a.exited, b.exited]);
    expect([ra.code, rb.code]).toEqual([0, 0]);
    expect(ra.summary).toMatchObject({ status: 'completed', scanned: 401, imported: 401, errorCount: 0 });
    expect(rb.summary).toMatchObject({ status: 'completed', scanned: 169, imported: 169, errorCount: 0 });
    const db = openCatalog(file);
    try {
      expect(rows(db, 'SELECT reference_label AS l, count(*) AS n FROM images GROUP BY 1 ORDER BY 1')).toEqual([
        { l: 'COVID19', n: 35 },
        { l: 'NORMAL', n: 134 },
        { l: 'PNEUMONIA', n: 401 },
      ]);
      expect(rows(db, `SELECT status, summary_json LIKE '%interrupted%' AS cut FROM imports ORDER BY id`)).toEqual([
        { status: 'completed', cut: 0 },
        { status: 'completed', cut: 0 },
      ]);
    } finally {
      db.close();
    }
  }, 240_000);

  it('closes a running import row only when its process is gone', async () => {
    const db = openCatalog(path.join(dir, 'owners.sqlite'));
    const sleeper = spawn('sleep', ['30']);
    try {
      const dead = spawn('true');
      await new Promise((r) => dead.on('exit', r));
      db.prepare(`INSERT INTO imports (roots_json, owner_pid) VALUES ('[]', ?), ('[]', ?), ('[]', NULL)`).run(sleeper.pid, dead.pid);
      createImport(db, ['/x']);
      expect(rows(db, 'SELECT id, status FROM imports ORDER BY id')).toEqual([
        { id: 1, status: 'running' },
        { id: 2, status: 'failed' },
        { id: 3, status: 'failed' },
        { id: 4, status: 'running' },
      ]);
    } finally {
      sleeper.kill();
      db.close();
    }
  });

  it('makes `cxr import` exit non-zero when the import failed', () => {
    const summary = (status: ImportSummary['status']) => ({ status }) as ImportSummary;
    expect(importCommand.exitCode!(summary('failed'))).toBe(1);
    expect(importCommand.exitCode!(summary('completed'))).toBe(0);
    expect(importCommand.exitCode!(summary('cancelled'))).toBe(0);
  });
});
