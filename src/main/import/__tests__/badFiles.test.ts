import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { SHARED_DATA, tempServices } from '../../../../test/helpers/tempServices';
import { runImport } from '../importRun';
import { rasterPlacement } from '../importFile';
import { buildDicom } from '../../../../test/helpers/buildDicom';
import { row, rows, value } from '../../../../test/helpers/catalogQuery';
import { importRunStatus } from '../../catalog/imports';

const s = tempServices('cxr-import-bad-');
afterAll(() => s.cleanup());

const NORMAL = path.join(SHARED_DATA, 'cxr3', 'images', 'val', 'NORMAL');
const someJpegs = fs.readdirSync(NORMAL).sort().slice(0, 3);
const NIH = path.join(SHARED_DATA, 'dicom', 'nih_cxr14_chest_DX.dcm');

/** A folder of patients with the usual trouble: loops, dead links, broken and non-image files. */
function messyFolder(): string {
  const root = path.join(s.dataDir, 'export');
  const p1 = path.join(root, 'patient1', 'study1');
  fs.mkdirSync(p1, { recursive: true });
  fs.copyFileSync(path.join(NORMAL, someJpegs[0]!), path.join(p1, 'a.jpg'));
  // The content sniffer, not the extension, decides: a JPEG named .dat and a DICOM named .txt.
  fs.copyFileSync(path.join(NORMAL, someJpegs[1]!), path.join(p1, 'b.dat'));
  fs.copyFileSync(path.join(SHARED_DATA, 'dicom', 'SC_rgb_jpeg_lossy_gdcm.dcm'), path.join(root, 'patient1', 'chest.txt'));
  fs.symlinkSync('..', path.join(p1, 'loop')); // a folder symlink back up: a loop
  fs.symlinkSync('self', path.join(root, 'self')); // a link to itself: ELOOP
  fs.symlinkSync('does-not-exist', path.join(root, 'dangling'));
  fs.writeFileSync(path.join(root, 'README.md'), 'not an image\n');
  // A DICOMDIR is an index of the files the folder walk reaches anyway: skipped, with the reason.
  fs.writeFileSync(
    path.join(root, 'DICOMDIR'),
    buildDicom([{ tag: 0x00041130, vr: 'CS', value: 'EXPORT' }], { mediaStorageSopClass: '1.2.840.10008.1.3.10' }),
  );
  // A truncated JPEG and a truncated DICOM: error rows, and the import goes on.
  const jpeg = fs.readFileSync(path.join(NORMAL, someJpegs[2]!));
  fs.writeFileSync(path.join(root, 'broken.jpg'), jpeg.subarray(0, 300));
  const dcm = fs.readFileSync(NIH);
  fs.writeFileSync(path.join(root, 'half.dcm'), dcm.subarray(0, 600_000));
  return root;
}

describe('bad input during import', () => {
  it('reports loops, dead links and broken files with readable reasons, and imports the rest', async () => {
    const root = messyFolder();
    const r = await runImport({ db: s.catalog, dataDir: s.dataDir, roots: [root], labelsFromFolders: false });
    expect(r.status).toBe('completed');
    const byFile = new Map(r.errors.map((e) => [path.relative(root, e.file), e.reason]));
    expect(byFile.get('patient1/study1/loop')).toMatch(/symlink loop/);
    expect(byFile.get('self')).toMatch(/symlink loop: ELOOP/);
    expect(byFile.get('dangling')).toMatch(/broken symlink/);
    // Its header still reads, so it is catalogued as excluded 'undecodable', with an error row.
    expect(byFile.get('broken.jpg')).toMatch(/JPEG\/PNG could not be decoded/);
    // The truncated DICOM parses (its header is intact) but its pixels do not: excluded + error row.
    expect(byFile.get('half.dcm')).toMatch(/truncated/);
    expect(r.excluded).toEqual({ undecodable: 2 });
    expect(r.skipped).toEqual({ not_an_image: 1, dicomdir: 1 });
    expect(r.imported).toBe(5); // a.jpg, b.dat, chest.txt; broken.jpg and half.dcm excluded
    const errorRows = rows<{ path: string }>(s.catalog, `SELECT path, reason FROM import_errors WHERE import_id = ?`, r.importId);
    expect(errorRows.length).toBe(r.errors.length);
    // Error reasons name the file and the problem, never the patient (Covid0000 in the NIH file).
    for (const e of r.errors) expect(e.reason).not.toMatch(/Covid0000/);

    // Folder structure: patient1 is the patient, study1 the study, for both JPEGs.
    const raster = rows(
      s.catalog,
      `SELECT p.patient_key AS patient, st.study_uid AS study, i.file_kind AS kind FROM images i
       JOIN series se ON se.id = i.series_id JOIN studies st ON st.id = se.study_id JOIN patients p ON p.id = st.patient_id
       WHERE i.file_kind = 'jpeg' AND i.status = 'eligible' ORDER BY i.source_path`,
    );
    expect(raster).toEqual([
      { patient: 'patient1', study: 'raster:patient1/study1', kind: 'jpeg' },
      { patient: 'patient1', study: 'raster:patient1/study1', kind: 'jpeg' },
    ]);
    const dicom = row(s.catalog, `SELECT transfer_syntax, rows, cols, status FROM images WHERE source_path LIKE '%chest.txt'`);
    expect(dicom).toEqual({ transfer_syntax: '1.2.840.10008.1.2.4.50', rows: 100, cols: 100, status: 'eligible' });
  });

  it('a moved file gets its new path instead of a second row', async () => {
    const root = path.join(s.dataDir, 'export');
    const from = path.join(root, 'patient1', 'study1', 'a.jpg');
    const toDir = path.join(root, 'patient1', 'study2');
    fs.mkdirSync(toDir);
    fs.renameSync(from, path.join(toDir, 'a.jpg'));
    const before = value(s.catalog, 'SELECT count(*) FROM images');
    const r = await runImport({ db: s.catalog, dataDir: s.dataDir, roots: [root], labelsFromFolders: false });
    expect(r.moved).toBe(1);
    expect(r.imported).toBe(0);
    expect(value(s.catalog, 'SELECT count(*) FROM images')).toBe(before);
    expect(value(s.catalog, 'SELECT count(*) FROM images WHERE source_path = ?', path.join(toDir, 'a.jpg'))).toBe(1);
  });

  it('reports an unreadable file and goes on', async (ctx) => {
    if (process.getuid?.() === 0) {
      console.log('skipped: running as root, which can read a chmod-000 file');
      ctx.skip();
    }
    const root = path.join(s.dataDir, 'locked');
    fs.mkdirSync(root);
    const f = path.join(root, 'x.jpg');
    fs.copyFileSync(path.join(NORMAL, someJpegs[0]!), f);
    fs.chmodSync(f, 0);
    const r = await runImport({ db: s.catalog, dataDir: s.dataDir, roots: [root], labelsFromFolders: false });
    expect(r.errors).toEqual([{ file: f, reason: 'unreadable: EACCES' }]);
  });

  it('stops early when cancelled, with status cancelled', async () => {
    const val = path.join(SHARED_DATA, 'cxr3', 'images', 'val', 'COVID19');
    let n = 0;
    const r = await runImport(
      { db: s.catalog, dataDir: s.dataDir, roots: [val], labelsFromFolders: true, concurrency: 1 },
      { isCancelled: () => ++n > 5 },
    );
    expect(r.status).toBe('cancelled');
    expect(r.imported).toBeLessThan(35);
    expect(importRunStatus(s.catalog, r.importId)).toBe('cancelled');
  });
});

describe('raster patient/study/label from folders', () => {
  const root = '/data/export';
  it('first level is the patient, second the study', () => {
    expect(rasterPlacement('/data/export/p1/s1/x.jpg', root, false)).toEqual({ patientKey: 'p1', studyKey: 'p1/s1', label: undefined });
    expect(rasterPlacement('/data/export/x.png', root, false)).toEqual({ patientKey: 'x', studyKey: 'x/', label: undefined });
  });
  it('a class folder (any case, COVID-19 spelling) gives the label and the stem is the patient', () => {
    expect(rasterPlacement('/data/export/covid-19/img7.jpg', root, true)).toEqual({ patientKey: 'img7', studyKey: 'img7/', label: 'COVID19' });
    expect(rasterPlacement('/data/export/Pneumonia/p2/img.jpg', root, true)).toMatchObject({ patientKey: 'p2', label: 'PNEUMONIA' });
    expect(rasterPlacement('/data/val/NORMAL/a.jpg', '/data/val/NORMAL', true)).toMatchObject({ patientKey: 'a', label: 'NORMAL' });
  });
  it('without the option a class folder is just a patient', () => {
    expect(rasterPlacement('/data/export/NORMAL/a.jpg', root, false)).toEqual({ patientKey: 'NORMAL', studyKey: 'NORMAL/', label: undefined });
  });
});
