import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { classCounts, listSamples, listSamplesFrom } from '../dataset';
import { SHARED_DATA } from '../../../../test/helpers/tempServices';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-dataset-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('listSamples', () => {
  it('reads a manifest with quoted fields and keeps only the asked split', () => {
    const m = path.join(dir, 'manifest.csv');
    fs.writeFileSync(m, 'file,label,split,note\n"a,1.jpg",COVID-19,train,"x ""y"""\nb.jpg,normal,val,\nc.jpg,Pneumonia,train,\n');
    const train = listSamples(m, 'train');
    expect(train.map((s) => [path.basename(s.file), s.label])).toEqual([
      ['a,1.jpg', 'COVID19'],
      ['c.jpg', 'PNEUMONIA'],
    ]);
    expect(listSamples(m).length).toBe(3);
  });

  it('refuses a manifest row naming a file outside the manifest\'s folder, directly or through a symlink', () => {
    const sub = path.join(dir, 'outside-case');
    fs.mkdirSync(sub);
    fs.symlinkSync('/etc', path.join(sub, 'etc-link'));
    for (const [named, line] of [
      ['/etc/passwd', 2], ['../../../../etc/passwd', 2], ['etc-link/passwd', 2], ['D:\\x.jpg', 2], ['\\\\host\\share\\x.jpg', 2],
    ] as const) {
      const m = path.join(sub, 'manifest.csv');
      fs.writeFileSync(m, `file,label\n"${named}",NORMAL\n`);
      expect(() => listSamples(m), named).toThrow(new RegExp(`manifest\\.csv:${line}.*lies outside the manifest's folder`));
    }
    fs.writeFileSync(path.join(sub, 'manifest.csv'), 'file,label\nimages/a.jpg,NORMAL\n');
    expect(listSamples(path.join(sub, 'manifest.csv')).map((x) => x.file)).toEqual([path.join(sub, 'images', 'a.jpg')]);
  });

  it('rejects an unknown label with the file and line', () => {
    const m = path.join(dir, 'bad.csv');
    fs.writeFileSync(m, 'file,label\na.jpg,cat\n');
    expect(() => listSamples(m)).toThrow(/bad\.csv:2.*unknown label "cat"/);
  });

  it('reads <CLASS>/** folders in any case, and combines repeated --data with their source names', () => {
    for (const [cls, f] of [['Covid-19', 'x.jpg'], ['normal/sub', 'y.png'], ['PNEUMONIA', 'z.txt']]) {
      fs.mkdirSync(path.join(dir, 'folders', cls!), { recursive: true });
      fs.writeFileSync(path.join(dir, 'folders', cls!, f!), '');
    }
    const s = listSamples(path.join(dir, 'folders'));
    expect(s.map((x) => x.label).sort()).toEqual(['COVID19', 'NORMAL']);
    const both = listSamplesFrom([path.join(SHARED_DATA, 'cxr3'), path.join(SHARED_DATA, 'adult')], 'val');
    expect(new Set(both.map((x) => x.source))).toEqual(new Set(['cxr3', 'adult']));
    expect(classCounts(both.filter((x) => x.source === 'adult')).PNEUMONIA).toBe(0);
    expect(both.every((x) => fs.existsSync(x.file))).toBe(true);
  });
});

describe('known label errors', () => {
  it('leaves out the listed files with their reasons, and keeps them on request', () => {
    const excluded: string[] = [];
    const train = listSamples(path.join(SHARED_DATA, 'cxr3'), 'train', { onExcluded: (s, why) => excluded.push(`${path.basename(s.file)}: ${why.reason}`) });
    const all = listSamples(path.join(SHARED_DATA, 'cxr3'), 'train', { keepLabelErrors: true });
    expect(all.length - train.length).toBe(1);
    expect(excluded).toEqual([expect.stringMatching(/^fig1_COVID-00048\.jpg: an NIH ChestX-ray14 "No Finding" film/)]);
    expect(train.some((s) => s.file.endsWith('fig1_COVID-00048.jpg'))).toBe(false);
    const nihVal = listSamples(path.join(SHARED_DATA, 'nih'), 'val');
    expect(nihVal.some((s) => s.file.endsWith('nih_00002237_000.jpg'))).toBe(false);
    expect(nihVal.length).toBe(72);
  });
});
