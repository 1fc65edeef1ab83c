import type { Services } from '../../services/services';
import { chooseFolder } from '../../access/folderAccess';
import type { GroupImpl } from './types';

export function trainingHandlers(s: Services): GroupImpl<'training'> {
  // Creating the service marks runs a dead process left 'running' as failed: at app start.
  const t = s.training;
  return {
    'training.dataset': async (req) => t.dataset(req.folders, req.seed),
    'training.chooseFolder': async () => ({ folder: await chooseFolder(s) }),
    'training.start': async (req) => ({ runId: t.start(req).runId }),
    'training.cancel': async () => ({ cancelled: t.cancel() }),
    'training.status': async () => t.status(),
    'training.runs': async (req) => t.runs(req.limit),
  };
}
