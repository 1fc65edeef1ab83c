import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SHARED_DATA } from '../../../../test/helpers/tempServices';
import { expandInputs, readInputFile } from '../predictInput';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-predict-in-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('cxr predict <folder> takes what import takes', () => {
  it('finds extensionless DICOM and images by content, keeps files named as images, skips the rest', async () => {
    const sub = path.join(dir, 'study', 'series');
    fs.mkdirSync(sub, { recursive: true });
    fs.copyFileSync(path.join(SHARED_DATA, 'dicom', 'nih_cxr14_chest_DX.dcm'), path.join(sub, 'IM0001'));
    const jpegs = path.join(SHARED_DATA, 'cxr3', 'images', 'val', 'NORMAL');
    fs.copyFileSync(path.join(jpegs, fs.readdirSync(jpegs).sort()[0]!), path.join(dir, 'film.dat'));
    fs.writeFileSync(path.join(dir, 'README'), 'not an image\n');
    fs.writeFileSync(path.join(dir, 'broken.dcm'), 'neither\n');
    const files = await expandInputs([dir]);
    expect(files.map((f) => path.relative(dir, f))).toEqual([
      'broken.dcm',
      'film.dat',
      path.join('study', 'series', 'IM0001'),
    ]);
    const img = await readInputFile(path.join(sub, 'IM0001'));
    expect(img.gray?.width).toBe(1024);
    await expect(readInputFile(path.join(dir, 'broken.dcm'))).rejects.toThrow(
      /^\/.*broken\.dcm: not a JPEG, PNG or DICOM file/,
    );
  });
});
