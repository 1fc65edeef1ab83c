import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SHARED_DATA, tempServices } from '../../../../test/helpers/tempServices';
import { runImport } from '../importRun';
import { readManifestPatients } from '../manifest';
import { rows } from '../../../../test/helpers/catalogQuery';

/** Four real Kermany films; two of them one child's, as cxr3's manifest says of its own files. */
const SRC = path.join(SHARED_DATA, 'cxr3', 'images', 'val', 'PNEUMONIA');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-manifest-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('patients from a manifest.csv under the import root', () => {
  it('groups the films the manifest gives one patient id, and falls back to folders for the rest', async () => {
    const root = path.join(dir, 'export');
    fs.mkdirSync(path.join(root, 'PNEUMONIA'), { recursive: true });
    const four = fs.readdirSync(SRC).sort().slice(0, 4);
    four.forEach((f, i) => fs.copyFileSync(path.join(SRC, f), path.join(root, 'PNEUMONIA', `film${i}.jpg`)));
    fs.writeFileSync(
      path.join(root, 'manifest.csv'),
      'file,label,patient_id\nPNEUMONIA/film0.jpg,PNEUMONIA,kermany_person7_virus\n"PNEUMONIA/film1.jpg",PNEUMONIA,kermany_person7_virus\nPNEUMONIA/film2.jpg,PNEUMONIA,kermany_person9_bacteria\n',
    );
    fs.writeFileSync(path.join(root, 'notes.csv'), 'file,comment\nPNEUMONIA/film3.jpg,no patient column: not a manifest\n');

    const s = tempServices('cxr-manifest-');
    try {
      const r = await runImport({ db: s.catalog, dataDir: s.dataDir, roots: [root], labelsFromFolders: true });
      expect(r).toMatchObject({ imported: 4, errorCount: 0 });
      const byPatient = rows(
        s.catalog,
        `SELECT p.patient_key AS patient, count(*) AS n, count(DISTINCT st.id) AS studies, min(i.reference_label) AS label
         FROM images i JOIN series se ON se.id = i.series_id JOIN studies st ON st.id = se.study_id JOIN patients p ON p.id = st.patient_id
         GROUP BY 1 ORDER BY 1`,
      );
      expect(byPatient).toEqual([
        { patient: 'film3', n: 1, studies: 1, label: 'PNEUMONIA' },
        { patient: 'kermany_person7_virus', n: 2, studies: 2, label: 'PNEUMONIA' },
        { patient: 'kermany_person9_bacteria', n: 1, studies: 1, label: 'PNEUMONIA' },
      ]);
    } finally {
      await s.cleanup();
    }
  });

  it('reports a manifest it cannot read, and passes over CSVs without file and patient_id columns', () => {
    const d = path.join(dir, 'odd');
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'manifest.csv'), 'file,label\na.jpg,NORMAL\n');
    const files = [
      { path: path.join(d, 'manifest.csv'), root: d, size: 20 },
      { path: path.join(d, 'sub', 'MANIFEST.csv'), root: d, size: 10 },
    ];
    const { patients, problems } = readManifestPatients(files);
    expect(patients.size).toBe(0);
    expect(problems).toEqual([{ file: path.join(d, 'sub', 'MANIFEST.csv'), reason: 'manifest unreadable: ENOENT' }]);
  });
});
