import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeDeflateBomb } from '../../../../test/reliability/deflateBomb';
import { openCatalog } from '../../catalog/openCatalog';
import { rows, value } from '../../../../test/helpers/catalogQuery';

const ROOT = path.resolve(__dirname, '../../../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-bomb-import-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** `cxr import` in a child process; its peak RSS (all threads) from process.resourceUsage() at exit. */
function cliImport(folder: string, db: string): Promise<{ code: number | null; stdout: string; maxRssMb: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--import', './test/helpers/reportMaxRss.mjs', 'src/cli/index.ts', 'import', folder, '--db', db, '--data-dir', dir, '--json'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, maxRssMb: Number(/MAX_RSS_KB=(\d+)/.exec(stderr)?.[1] ?? NaN) / 1024 }));
  });
}

describe('a folder of deflate bombs', () => {
  it('imports in under 1 GB of peak RSS, with an error row per bomb', async () => {
    const folder = path.join(dir, 'bombs');
    fs.mkdirSync(folder);
    for (let i = 0; i < 3; i++) await writeDeflateBomb(path.join(folder, `bomb${i}.dcm`), `1.2.826.0.1.3680043.9.7777.${i + 1}`);
    const db = path.join(dir, 'catalog.sqlite');
    const r = await cliImport(folder, db);
    expect(r.maxRssMb).toBeLessThan(1024);
    const summary = JSON.parse(r.stdout) as { scanned: number; imported: number; errorCount: number; errors: { file: string; reason: string }[] };
    expect(summary).toMatchObject({ scanned: 3, imported: 0, errorCount: 3 });
    for (const e of summary.errors) expect(e.reason).toMatch(/^the deflated dataset inflates past \d+ bytes, more than its tags need/);
    const catalog = openCatalog(db);
    try {
      expect(value(catalog, 'SELECT count(*) FROM images')).toBe(0);
      expect(rows<{ file: string }>(catalog, 'SELECT path AS file FROM import_errors ORDER BY 1').map((e) => path.basename(e.file))).toEqual([
        'bomb0.dcm',
        'bomb1.dcm',
        'bomb2.dcm',
      ]);
    } finally {
      catalog.close();
    }
  }, 180_000);
});
