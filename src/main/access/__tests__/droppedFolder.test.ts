import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { allowDroppedFolder } from '../droppedFolder';
import { tempServices } from '../../../../test/helpers/tempServices';

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
