import { queryWorklist, worklistCounts } from '../../catalog/worklist';
import type { Services } from '../../services/services';
import type { GroupImpl } from './types';

export function worklistHandlers(s: Services): GroupImpl<'worklist'> {
  return {
    'worklist.query': async (req) => queryWorklist(s.catalog, req),
    'worklist.counts': async () => worklistCounts(s.catalog),
  };
}
