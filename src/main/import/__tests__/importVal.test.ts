import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { SHARED_DATA, tempServices } from '../../../../test/helpers/tempServices';
import { runImport } from '../importRun';
import { readRendering, thumbnailPath } from '../../renderings/renderingStore';
import { row, rows, value } from '../../../../test/helpers/catalogQuery';

const VAL = path.join(SHARED_DATA, 'cxr3', 'images', 'val');
const s = tempServices('cxr-import-val-');
afterAll(() => s.cleanup());

describe('importing cxr3 val with labels from folders', () => {
  it('imports 570 images with 35/134/401 folder labels, then adds nothing the second time', async () => {
    const first = await runImport({ db: s.catalog, dataDir: s.dataDir, roots: [VAL], labelsFromFolders: true });
    expect(first).toMatchObject({ status: 'completed', scanned: 570, imported: 570, duplicates: 0, errors: [] });
    const labels = rows(s.catalog, `SELECT reference_label AS label, label_source AS source, count(*) AS n FROM images GROUP BY 1, 2 ORDER BY 1`);
    expect(labels).toEqual([
      { label: 'COVID19', source: 'folder', n: 35 },
      { label: 'NORMAL', source: 'folder', n: 134 },
      { label: 'PNEUMONIA', source: 'folder', n: 401 },
    ]);
    // A class folder is not a patient: patients are file stems, one image each here.
    expect(value(s.catalog, 'SELECT count(*) FROM patients')).toBe(570);
    expect(value(s.catalog, `SELECT count(*) FROM patients WHERE patient_key IN ('COVID19','NORMAL','PNEUMONIA')`)).toBe(0);
    expect(value(s.catalog, `SELECT count(*) FROM images WHERE status = 'eligible' AND rendering_hash IS NOT NULL`)).toBe(570);

    const second = await runImport({ db: s.catalog, dataDir: s.dataDir, roots: [VAL], labelsFromFolders: true });
    expect(second).toMatchObject({ status: 'completed', scanned: 570, imported: 0, duplicates: 570, moved: 0 });
    expect(value(s.catalog, 'SELECT count(*) FROM images')).toBe(570);
    const imports = rows(s.catalog, `SELECT status FROM imports ORDER BY id`);
    expect(imports).toEqual([{ status: 'completed' }, { status: 'completed' }]);
  });

  it('stores a gray rendering (longest side ≤ 1024) and a thumbnail (≤ 256) that readRendering returns', async () => {
    const image = row<{ id: number; rows: number; cols: number; rendering_hash: string }>(
      s.catalog,
      `SELECT id, rows, cols, rendering_hash FROM images WHERE source_path LIKE ? LIMIT 1`,
      `%${path.sep}NORMAL${path.sep}%`,
    )!;
    const r = await readRendering(s.dataDir, image.rendering_hash);
    expect(r.data.length).toBe(r.width * r.height);
    expect(Math.max(r.width, r.height)).toBeLessThanOrEqual(1024);
    // cxr3 images are small: the rendering keeps their size.
    expect([r.width, r.height]).toEqual([image.cols, image.rows]);
    expect(fs.existsSync(thumbnailPath(s.dataDir, image.rendering_hash))).toBe(true);
    // Nothing half-written left behind.
    expect(fs.readdirSync(path.join(s.dataDir, 'renderings')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
