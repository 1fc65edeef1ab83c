import type { Services } from '../../services/services';
import type { GroupImpl } from './types';
import { chooseFolder, requireChosenFolders } from '../../access/folderAccess';

export function importHandlers(s: Services): GroupImpl<'import'> {
  return {
    'import.chooseFolder': async () => ({ folder: await chooseFolder(s) }),
    'import.start': async (req) => {
      const { importId } = await s.imports.start({ roots: requireChosenFolders(s, req.roots), labelsFromFolders: req.labelsFromFolders });
      return { importId };
    },
    'import.cancel': async () => ({ cancelled: s.imports.cancel() }),
    'import.status': async () => s.imports.status(),
  };
}
