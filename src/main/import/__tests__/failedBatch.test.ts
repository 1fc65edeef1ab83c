import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { SHARED_DATA, tempServices } from '../../../../test/helpers/tempServices';
import { runImport } from '../importRun';
import { rows } from '../../../../test/helpers/catalogQuery';

const COVID = path.join(SHARED_DATA, 'cxr3', 'images', 'val', 'COVID19');
const s = tempServices('cxr-failed-batch-');
afterAll(() => s.cleanup());

describe('a batch the catalog refuses', () => {
  it('fails its own files with the reason, and the import goes on to the end; a rerun adds them', async () => {
    const files = fs.readdirSync(COVID).sort();
    const poisoned = files[10]!;
    // A real SQLite failure in the middle of one batch (as a full disk or a lock past every retry gives).
    s.catalog.exec(
      `CREATE TRIGGER refuse_one BEFORE INSERT ON images WHEN NEW.source_path LIKE '%${poisoned}' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`,
    );
    const r = await runImport({ db: s.catalog, dataDir: s.dataDir, roots: [COVID], labelsFromFolders: true, batchSize: 8 });
    expect(r.status).toBe('completed');
    const unwritten = r.errors.filter((e) => e.reason === 'not written to the catalog: database or disk is full');
    expect(unwritten.map((e) => path.basename(e.file))).toContain(poisoned);
    expect(unwritten.length).toBeLessThanOrEqual(8);
    expect(r.imported + unwritten.length).toBe(files.length);
    expect(rows(s.catalog, 'SELECT count(*) AS n FROM images')).toEqual([{ n: r.imported }]);

    s.catalog.exec('DROP TRIGGER refuse_one');
    const again = await runImport({ db: s.catalog, dataDir: s.dataDir, roots: [COVID], labelsFromFolders: true });
    expect(again).toMatchObject({ status: 'completed', imported: unwritten.length, duplicates: r.imported, errorCount: 0 });
  }, 120_000);
});
