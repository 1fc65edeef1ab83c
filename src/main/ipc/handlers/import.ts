import path from 'node:path';
import { CxrError } from '../../../shared/errors';
import type { Services } from '../../services/services';
import type { GroupImpl } from './types';

/** Whether `p` is one of the allowed roots or lies inside one. */
function underAllowedRoot(s: Services, p: string): boolean {
  const target = path.resolve(p);
  for (const root of s.importRoots) {
    const r = path.resolve(root);
    const rel = path.relative(r, target);
    if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) return true;
  }
  return false;
}

export function importHandlers(s: Services): GroupImpl<'import'> {
  return {
    'import.chooseFolder': async () => {
      if (!s.chooseFolder) throw new CxrError('BAD_INPUT', 'no folder dialog here; give folders on the command line');
      const folder = await s.chooseFolder();
      if (folder) s.importRoots.add(path.resolve(folder));
      return { folder: folder ? path.resolve(folder) : null };
    },
    'import.start': async (req) => {
      // The renderer may only import what the user picked in a dialog (or dropped).
      const refused = req.roots.filter((r) => !underAllowedRoot(s, r));
      if (refused.length > 0) {
        throw new CxrError(
          'BAD_INPUT',
          `import roots must be folders chosen in the dialog; refused: ${refused.join(', ')}`.slice(0, 1000),
        );
      }
      const { importId } = await s.imports.start({ roots: req.roots.map((r) => path.resolve(r)), labelsFromFolders: req.labelsFromFolders });
      return { importId };
    },
    'import.cancel': async () => ({ cancelled: s.imports.cancel() }),
    'import.status': async () => s.imports.status(),
  };
}
