import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importCommand } from '../commands/import';
import type { CliContext } from '../command';
import { tempServices } from '../../../test/helpers/tempServices';
import { maskPatientFolder, PATIENT_MASK } from '../../main/access/maskedPath';
import type { ImportSummary } from '../../shared/import';

const s = tempServices('cxr-import-cli-');
afterAll(() => s.cleanup());
const ctx = { json: true, progress: () => {}, services: () => s } as unknown as CliContext;
const NAME = 'Doe_Jane_19450312';

describe('cxr import: JPEG/PNG patient folders in error rows', () => {
  it('masks the patient folder level of a raster path, class folders and DICOM paths left as they are', () => {
    const root = '/data/site';
    expect(maskPatientFolder(`${root}/${NAME}/study1/a.png`, [root], false)).toBe(`${root}/${PATIENT_MASK}/study1/a.png`);
    expect(maskPatientFolder(`${root}/COVID19/${NAME}/a.jpg`, [root], true)).toBe(`${root}/COVID19/${PATIENT_MASK}/a.jpg`);
    expect(maskPatientFolder(`${root}/COVID19/a.jpeg`, [root], true)).toBe(`${root}/COVID19/a.jpeg`);
    expect(maskPatientFolder(`${root}/a.png`, [root], false)).toBe(`${root}/a.png`);
    expect(maskPatientFolder(`${root}/${NAME}/a.dcm`, [root], false)).toBe(`${root}/${NAME}/a.dcm`);
    expect(maskPatientFolder(`/elsewhere/${NAME}/a.png`, [root], false)).toBe(`/elsewhere/${NAME}/a.png`);
  });

  it('keeps the patient folder name out of the --json summary and the printed lines', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-import-cli-data-'));
    try {
      fs.mkdirSync(path.join(root, NAME, 'study1'), { recursive: true });
      fs.writeFileSync(path.join(root, NAME, 'study1', 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\nnot really a png'));
      fs.writeFileSync(path.join(root, NAME, 'study1', 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 1, 2]));
      const summary = (await importCommand.run(ctx, { 'labels-from-folders': false }, [root])) as ImportSummary;
      expect(summary.errors.length).toBe(2);
      const json = JSON.stringify(summary);
      expect(json).not.toContain(NAME);
      expect(summary.errors.map((e) => path.relative(root, e.file)).sort()).toEqual([
        path.join(PATIENT_MASK, 'study1', 'broken.jpg'),
        path.join(PATIENT_MASK, 'study1', 'broken.png'),
      ]);
      expect(importCommand.print!(summary)).not.toContain(NAME);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
