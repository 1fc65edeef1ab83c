import { activateVersion, listVersions, rollback, versionDetail } from '../../models/modelVersions';
import type { Services } from '../../services/services';
import type { GroupImpl } from './types';

export function modelsHandlers(s: Services): GroupImpl<'models'> {
  return {
    'models.list': async () => listVersions(s),
    'models.detail': async (req) => versionDetail(s, req.id),
    'models.activate': async (req) => activateVersion(s, req.id),
    'models.rollback': async () => rollback(s),
    'models.repredictStatus': async () => s.repredict.status(),
  };
}
