import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { allowDroppedFolder, isInsideChosenFolder, requireChosenFolders } from '../folderAccess';
import { SHARED_DATA, tempServices } from '../../../../test/helpers/tempServices';
import { createHandlers } from '../../ipc/handlers';
import { scanRoots } from '../../import/scan';

const s = tempServices('cxr-drop-');
afterAll(() => s.cleanup());

describe('a folder dropped on the window', () => {
  it('becomes an import root when it is an existing directory', () => {
    const dir = path.join(s.dataDir, 'dropped');
    fs.mkdirSync(dir);
    expect(allowDroppedFolder(s, dir)).toBe(dir);
    expect(s.importRoots.has(dir)).toBe(true);
  });

  it('is refused when it is a file, missing, relative, NUL-laden or not a string', () => {
    const file = path.join(s.dataDir, 'f.txt');
    fs.writeFileSync(file, 'x');
    for (const bad of [file, path.join(s.dataDir, 'missing'), 'relative/dir', `${s.dataDir}\0/x`, 42, null, '']) {
      expect(allowDroppedFolder(s, bad)).toBeNull();
    }
    expect([...s.importRoots].every((r) => !r.endsWith('f.txt'))).toBe(true);
  });
});

describe('the folder-access rule', () => {
  it('allows a chosen folder and what lies inside it, nothing beside or above it', () => {
    const chosen = path.join(s.dataDir, 'chosen');
    const roots = { importRoots: new Set([chosen]) };
    for (const ok of [chosen, `${chosen}/`, path.join(chosen, 'COVID19'), path.join(chosen, 'a', '..', 'b')]) expect(isInsideChosenFolder(roots, ok), ok).toBe(true);
    for (const bad of [`${chosen}-evil`, path.join(chosen, '..'), path.join(chosen, '..', 'other'), s.dataDir, '/', 'chosen']) expect(isInsideChosenFolder(roots, bad), bad).toBe(false);
  });

  it('refuses a path inside a chosen folder whose symlink leads outside it, and keeps roots as real paths', async () => {
    const chosen = path.join(s.dataDir, 'with-links');
    const outside = path.join(s.dataDir, 'outside');
    fs.mkdirSync(path.join(chosen, 'inner'), { recursive: true });
    fs.mkdirSync(outside, { recursive: true });
    fs.writeFileSync(path.join(outside, 'secret.dcm'), 'x');
    fs.symlinkSync(outside, path.join(chosen, 'out-dir'));
    fs.symlinkSync(path.join(outside, 'secret.dcm'), path.join(chosen, 'out-file.dcm'));
    fs.symlinkSync(path.join(chosen, 'inner'), path.join(chosen, 'in-dir'));
    const roots = { importRoots: new Set([chosen]) };
    expect(isInsideChosenFolder(roots, path.join(chosen, 'out-dir'))).toBe(false);
    expect(isInsideChosenFolder(roots, path.join(chosen, 'out-dir', 'secret.dcm'))).toBe(false);
    expect(isInsideChosenFolder(roots, path.join(chosen, 'out-file.dcm'))).toBe(false);
    expect(isInsideChosenFolder(roots, path.join(chosen, 'in-dir'))).toBe(true);
    expect(() => requireChosenFolders(roots, [path.join(chosen, 'out-dir')])).toThrow(/refused: .*out-dir/);
    // A dropped folder reached through a link is kept as its real path.
    const viaLink = path.join(s.dataDir, 'link-to-chosen');
    fs.symlinkSync(chosen, viaLink);
    expect(allowDroppedFolder(s, viaLink)).toBe(chosen);
    // The import walk does not follow the links that leave the folder, and says so.
    const { files, problems } = await scanRoots([chosen]);
    expect(files.map((f) => path.relative(chosen, f.path))).toEqual([]);
    expect(problems.filter((p) => /outside/.test(p.reason)).map((p) => [path.basename(p.file), p.reason]).sort()).toEqual([
      ['out-dir', 'symlink pointing outside the import folder: not followed'],
      ['out-file.dcm', 'symlink pointing outside the import folder: not followed'],
    ]);
  });

  it('is the same for import and training: a subfolder of a chosen folder may be trained on', async () => {
    const chosen = path.join(s.dataDir, 'labelled');
    const val = path.join(SHARED_DATA, 'cxr3', 'images', 'val', 'NORMAL');
    fs.mkdirSync(path.join(chosen, 'site-a', 'NORMAL'), { recursive: true });
    fs.symlinkSync(path.join(val, fs.readdirSync(val).sort()[0]!), path.join(chosen, 'site-a', 'NORMAL', 'a.jpg'));
    s.importRoots.add(chosen);
    const h = createHandlers(s);
    const sub = path.join(chosen, 'site-a');
    const r = await h['training.dataset']({ folders: [sub] });
    expect(r, JSON.stringify(r)).toMatchObject({ ok: true, value: { total: 1, bySource: { folder: 1 } } });
    const refused = await h['training.dataset']({ folders: [`${chosen}-evil`] });
    expect(refused).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    expect(() => requireChosenFolders(s, [sub, `${chosen}-evil`])).toThrow(`refused: ${chosen}-evil`);
  });
});
