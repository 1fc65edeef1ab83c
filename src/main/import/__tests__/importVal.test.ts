import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { SHARED_DATA, tempServices } from '../../../../test/helpers/tempServices';
import { runImport } from '../importRun';
import { readRendering, thumbnailPath } from '../../renderings/renderingStore';

const VAL = path.join(SHARED_DATA, 'cxr3', 'images', 'val');
const s = tempServices('cxr-import-val-');
afterAll(() => s.cleanup());

describe('importing cxr3 val with labels from folders', () => {
  it('imports 570 images with 35/134/401 folder labels, then adds nothing the second time', async () => {
    const first = await runImport({ db: s.catalog, dataDir: s.dataDir, roots: [VAL], labelsFromFolders: true });
    expect(first).toMatchObject({ status: 'completed', scanned: 570, imported: 570, duplicates: 0, errors: [] });
    const labels = s.catalog
      .prepare(`SELECT reference_label AS label, label_source AS source, count(*) AS n FROM images GROUP BY 1, 2 ORDER BY 1`)
      .all();
    expect(labels).toEqual([
      { label: 'COVID19', source: 'folder', n: 35 },
      { label: 'NORMAL', source: 'folder', n: 134 },
      { label: 'PNEUMONIA', source: 'folder', n: 401 },
    ]);
    // A class folder is not a patient: patients are file stems, one image each here.
    const patients = s.catalog.prepare('SELECT count(*) AS n FROM patients').get() as { n: number };
    expect(patients.n).toBe(570);
    expect(s.catalog.prepare(`SELECT count(*) AS n FROM patients WHERE patient_key IN ('COVID19','NORMAL','PNEUMONIA')`).get()).toEqual({ n: 0 });
    expect(s.catalog.prepare(`SELECT count(*) AS n FROM images WHERE status = 'eligible' AND rendering_hash IS NOT NULL`).get()).toEqual({ n: 570 });

    const second = await runImport({ db: s.catalog, dataDir: s.dataDir, roots: [VAL], labelsFromFolders: true });
    expect(second).toMatchObject({ status: 'completed', scanned: 570, imported: 0, duplicates: 570, moved: 0 });
    expect(s.catalog.prepare('SELECT count(*) AS n FROM images').get()).toEqual({ n: 570 });
    const imports = s.catalog.prepare(`SELECT status FROM imports ORDER BY id`).all();
    expect(imports).toEqual([{ status: 'completed' }, { status: 'completed' }]);
  });

  it('stores a gray rendering (longest side ≤ 1024) and a thumbnail (≤ 256) that readRendering returns', async () => {
    const row = s.catalog
      .prepare(`SELECT id, rows, cols, rendering_hash FROM images WHERE source_path LIKE ? LIMIT 1`)
      .get(`%${path.sep}NORMAL${path.sep}%`) as { id: number; rows: number; cols: number; rendering_hash: string };
    const r = await readRendering(s, row.id);
    expect(r.data.length).toBe(r.width * r.height);
    expect(Math.max(r.width, r.height)).toBeLessThanOrEqual(1024);
    // cxr3 images are small: the rendering keeps their size.
    expect([r.width, r.height]).toEqual([row.cols, row.rows]);
    expect(fs.existsSync(thumbnailPath(s.dataDir, row.rendering_hash))).toBe(true);
    // Nothing half-written left behind.
    expect(fs.readdirSync(path.join(s.dataDir, 'renderings')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
