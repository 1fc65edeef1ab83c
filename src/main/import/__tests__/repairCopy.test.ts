import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SHARED_DATA, tempServices } from '../../../../test/helpers/tempServices';
import { runImport } from '../importRun';
import { rows } from '../../../../test/helpers/catalogQuery';

/**
 * A transfer cut short, then the full file: the truncated copy is catalogued as undecodable, and
 * the good copy of the same SOP instance must replace it rather than be dropped as a duplicate.
 */
const FULL = path.join(SHARED_DATA, 'dicom', 'nih_cxr14_chest_DX.dcm');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-repair-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function folder(name: string, files: Record<string, 'cut' | 'full'>): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d, { recursive: true });
  const bytes = fs.readFileSync(FULL);
  // Cut inside the pixel data: the header parses, the image does not decode.
  for (const [f, kind] of Object.entries(files)) fs.writeFileSync(path.join(d, f), kind === 'full' ? bytes : bytes.subarray(0, 600_000));
  return d;
}

type Row = { status: string; exclusion: string | null; path: string; rendered: number; worklist: string };
const imageRows = (s: ReturnType<typeof tempServices>): Row[] =>
  rows<Row>(
    s.catalog,
    `SELECT i.status, i.exclusion_reason AS exclusion, i.source_path AS path, i.rendering_hash IS NOT NULL AS rendered, w.status AS worklist
     FROM images i JOIN worklist_entries w ON w.image_id = i.id`,
  );

describe('a good copy after a truncated one', () => {
  it('replaces the undecodable record in a later import, and a cut copy never replaces a good one', async () => {
    const s = tempServices('cxr-repair-a-');
    try {
      const cut = folder('cut', { 'copy.dcm': 'cut' });
      const full = folder('full', { 'copy.dcm': 'full' });
      const first = await runImport({ db: s.catalog, dataDir: s.dataDir, roots: [cut], labelsFromFolders: false });
      expect(first).toMatchObject({ imported: 1, repaired: 0, excluded: { undecodable: 1 }, errorCount: 1 });
      expect(imageRows(s)).toEqual([{ status: 'excluded', exclusion: 'undecodable', path: path.join(cut, 'copy.dcm'), rendered: 0, worklist: 'excluded' }]);

      const second = await runImport({ db: s.catalog, dataDir: s.dataDir, roots: [full], labelsFromFolders: false });
      expect(second).toMatchObject({ imported: 0, repaired: 1, duplicates: 0, errorCount: 0 });
      const good = imageRows(s);
      expect(good).toEqual([{ status: 'eligible', exclusion: null, path: path.join(full, 'copy.dcm'), rendered: 1, worklist: 'eligible' }]);

      const third = await runImport({ db: s.catalog, dataDir: s.dataDir, roots: [cut], labelsFromFolders: false });
      // The cut copy has other bytes under the same SOP Instance UID: a conflict the good file wins, reported.
      expect(third).toMatchObject({ imported: 0, repaired: 0, duplicates: 0, conflicts: 1, errorCount: 1 });
      expect(third.errors[0]!.reason).toMatch(/^conflict: .*full\/copy\.dcm claims the same SOP Instance UID with different bytes; kept .*, not this file \(.*its pixels do not decode\)$/);
      expect(imageRows(s)).toEqual(good);
    } finally {
      await s.cleanup();
    }
  });

  it('keeps the good copy when both arrive in one import, whichever is read first', async () => {
    const s = tempServices('cxr-repair-b-');
    try {
      const both = folder('both', { 'a_cut.dcm': 'cut', 'b_full.dcm': 'full' });
      const r = await runImport({ db: s.catalog, dataDir: s.dataDir, roots: [both], labelsFromFolders: false });
      expect(r.imported).toBe(1);
      // Cut first: the good file repairs it. Good first: the cut copy is a conflict the good file wins.
      // Which comes first depends on the files in flight, so either is right; the kept row is not.
      expect(r.repaired + r.conflicts).toBe(1);
      expect(r.duplicates).toBe(0);
      expect(imageRows(s)).toEqual([{ status: 'eligible', exclusion: null, path: path.join(both, 'b_full.dcm'), rendered: 1, worklist: 'eligible' }]);
    } finally {
      await s.cleanup();
    }
  });
});
