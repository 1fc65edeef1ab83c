import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SHARED_DATA, tempServices } from '../../../../test/helpers/tempServices';
import { runImport } from '../importRun';
import { rows } from '../../../../test/helpers/catalogQuery';
import { parseDicom } from '../../imaging/dicom/parseDicom';
import { readDicomTags } from '../../imaging/dicom/dicomTags';
import { headerProblems } from '../../imaging/dicom/headerIntegrity';

/**
 * A good DX file and copies of it with header bytes flipped, named so that they sort (and are
 * read) first. The copies still parse and decode; the good file must still be the one catalogued.
 */
const GOOD = path.join(SHARED_DATA, 'dicom', 'nih_cxr14_chest_DX.dcm');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-conflict-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The good bytes with the File Meta group length off, and with the Study Instance UID's tag flipped to (0020,000C). */
function damagedCopies(): { metaLength: Buffer; studyTag: Buffer } {
  const good = fs.readFileSync(GOOD);
  const ds = parseDicom(new Uint8Array(good), GOOD);
  const metaLength = Buffer.from(good);
  const at = ds.elements.x00020000!.dataOffset;
  metaLength[at] = metaLength[at]! ^ 0x10;
  const studyTag = Buffer.from(good);
  // The element number's low byte sits 2 bytes into the element's header (8 bytes before its value).
  studyTag[ds.elements.x0020000d!.dataOffset - 8 + 2] = 0x0c;
  return { metaLength, studyTag };
}

const imagesOf = (s: ReturnType<typeof tempServices>) =>
  rows<{ path: string; exclusion: string | null }>(s.catalog, 'SELECT source_path AS path, exclusion_reason AS exclusion FROM images');
const errorsOf = (s: ReturnType<typeof tempServices>) =>
  rows<{ path: string; reason: string }>(s.catalog, 'SELECT path, reason FROM import_errors ORDER BY path');

describe('a damaged copy that claims the SOP Instance UID of a good file', () => {
  it('the damaged copies parse and decode, but their headers are not clean', () => {
    const { metaLength, studyTag } = damagedCopies();
    const good = parseDicom(new Uint8Array(fs.readFileSync(GOOD)), GOOD);
    expect(headerProblems(good, readDicomTags(good))).toEqual([]);
    const a = parseDicom(new Uint8Array(metaLength), 'a.dcm');
    expect(headerProblems(a, readDicomTags(a))).toEqual([expect.stringMatching(/^File Meta group length says \d+, the group holds \d+ bytes$/)]);
    const b = parseDicom(new Uint8Array(studyTag), 'b.dcm');
    expect(headerProblems(b, readDicomTags(b))).toEqual(['missing Study Instance UID (0020,000D)']);
  });

  it('in one folder, read first: the good file is catalogued under its own path, each copy is a reported conflict', async () => {
    const s = tempServices('cxr-conflict-a-');
    try {
      const d = path.join(dir, 'one');
      fs.mkdirSync(d);
      const { metaLength, studyTag } = damagedCopies();
      fs.writeFileSync(path.join(d, '0-copy-meta.dcm'), metaLength);
      fs.writeFileSync(path.join(d, '1-copy-study.dcm'), studyTag);
      fs.copyFileSync(GOOD, path.join(d, '2-good.dcm'));
      const summary = await runImport({ db: s.catalog, dataDir: s.dataDir, roots: [d], labelsFromFolders: false });
      expect(summary).toMatchObject({ status: 'completed', scanned: 3, imported: 1, conflicts: 2, duplicates: 0 });
      expect(imagesOf(s)).toEqual([{ path: path.join(d, '2-good.dcm'), exclusion: null }]);
      const errors = errorsOf(s);
      expect(errors.map((e) => path.basename(e.path))).toEqual(['0-copy-meta.dcm', '1-copy-study.dcm']);
      for (const e of errors) expect(e.reason).toMatch(/^conflict: .* claims the same SOP Instance UID with different bytes; kept .*, not this file \(.+\)$/);
      expect(errors[0]!.reason).toMatch(/not this file \(File Meta group length says/);
      expect(errors[1]!.reason).toContain(`kept ${path.join(d, '2-good.dcm')} (its header is clean)`);
      expect(errors[1]!.reason).toMatch(/not this file \(missing Study Instance UID \(0020,000D\)\)/);
    } finally {
      await s.cleanup();
    }
  }, 120_000);

  it('across imports: a damaged copy catalogued before is replaced by the good file; a damaged one after it is refused', async () => {
    const s = tempServices('cxr-conflict-b-');
    try {
      const { metaLength, studyTag } = damagedCopies();
      const first = path.join(dir, 'first');
      const second = path.join(dir, 'second');
      const third = path.join(dir, 'third');
      for (const f of [first, second, third]) fs.mkdirSync(f);
      fs.writeFileSync(path.join(first, 'copy.dcm'), metaLength);
      fs.copyFileSync(GOOD, path.join(second, 'good.dcm'));
      fs.writeFileSync(path.join(third, 'copy.dcm'), studyTag);
      await runImport({ db: s.catalog, dataDir: s.dataDir, roots: [first], labelsFromFolders: false });
      const b = await runImport({ db: s.catalog, dataDir: s.dataDir, roots: [second], labelsFromFolders: false });
      expect(b).toMatchObject({ imported: 0, conflicts: 1, errorCount: 1 });
      expect(imagesOf(s)).toEqual([{ path: path.join(second, 'good.dcm'), exclusion: null }]);
      const c = await runImport({ db: s.catalog, dataDir: s.dataDir, roots: [third], labelsFromFolders: false });
      expect(c).toMatchObject({ imported: 0, conflicts: 1 });
      expect(imagesOf(s)).toEqual([{ path: path.join(second, 'good.dcm'), exclusion: null }]);
      // A byte-identical copy is still a plain duplicate, not a conflict.
      const again = await runImport({ db: s.catalog, dataDir: s.dataDir, roots: [second], labelsFromFolders: false });
      expect(again).toMatchObject({ duplicates: 1, conflicts: 0, errorCount: 0 });
    } finally {
      await s.cleanup();
    }
  }, 120_000);
});
