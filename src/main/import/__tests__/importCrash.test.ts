import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SHARED_DATA } from '../../../../test/helpers/tempServices';
import { openCatalog } from '../../catalog/openCatalog';
import { runImport } from '../importRun';
import { rows, value } from '../../../../test/helpers/catalogQuery';

const VAL = path.join(SHARED_DATA, 'cxr3', 'images', 'val');
const ROOT = path.resolve(__dirname, '../../../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-import-kill-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs `cxr import` as a child and SIGKILLs it once its progress passes `killAfter` files. */
function importAndKill(db: string, killAfter: number): Promise<{ killedAt: number; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/index.ts', 'import', VAL, '--labels-from-folders', '--db', db, '--data-dir', dir, '--json'],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let killedAt = -1;
    let buf = '';
    child.stderr.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      for (const m of buf.matchAll(/: (\d+)\/570 files/g)) {
        const done = Number(m[1]);
        if (killedAt < 0 && done >= killAfter) {
          killedAt = done;
          child.kill('SIGKILL');
        }
      }
      buf = buf.slice(buf.lastIndexOf('\n') + 1);
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ killedAt, signal }));
  });
}

describe('an import killed part-way', () => {
  it('leaves a consistent catalog, and a rerun finishes with the right counts', async () => {
    const db = path.join(dir, 'catalog.sqlite');
    const { killedAt, signal } = await importAndKill(db, 150);
    expect(signal).toBe('SIGKILL');
    expect(killedAt).toBeGreaterThanOrEqual(150);

    const catalog = openCatalog(db);
    try {
      expect(catalog.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(catalog.pragma('foreign_key_check')).toEqual([]);
      const partial = value(catalog, 'SELECT count(*) FROM images');
      // Whole batches only, and it really was part-way.
      expect(partial).toBeGreaterThan(0);
      expect(partial).toBeLessThan(570);
      // Every committed image has its rendering on disk (renderings are written before the commit).
      const hashes = rows<{ h: string }>(catalog, 'SELECT rendering_hash AS h FROM images');
      for (const { h } of hashes) expect(fs.existsSync(path.join(dir, 'renderings', `${h}.png`))).toBe(true);

      const rerun = await runImport({ db: catalog, dataDir: dir, roots: [VAL], labelsFromFolders: true });
      expect(rerun).toMatchObject({ status: 'completed', imported: 570 - partial, duplicates: partial, errors: [] });
      expect(rows(catalog, 'SELECT reference_label AS l, count(*) AS n FROM images GROUP BY 1 ORDER BY 1')).toEqual([
        { l: 'COVID19', n: 35 },
        { l: 'NORMAL', n: 134 },
        { l: 'PNEUMONIA', n: 401 },
      ]);
      expect(catalog.pragma('integrity_check', { simple: true })).toBe('ok');
      // The killed run's import row is closed as failed, not left 'running' forever.
      expect(rows(catalog, 'SELECT status FROM imports ORDER BY id')).toEqual([{ status: 'failed' }, { status: 'completed' }]);
    } finally {
      catalog.close();
    }
  });
});
