import type { Services } from '../../services/services';
import type { GroupImpl } from './types';
import { sendHistory } from '../../catalog/pacs';

export function pacsHandlers(s: Services): GroupImpl<'pacs'> {
  return {
    'pacs.getSettings': async () => s.pacs.view(),
    'pacs.setSettings': (req) => s.pacs.update(req),
    'pacs.testConnection': (req) => s.pacs.testConnection(req.target),
    'pacs.query': async (req) => ({ studies: await s.pacs.query(req) }),
    'pacs.retrieve': async (req) => ({ jobId: s.pacs.retrieve(req.studyInstanceUIDs).jobId }),
    'pacs.cancelRetrieve': async () => ({ cancelled: s.pacs.cancelRetrieve() }),
    'pacs.retrieveStatus': async () => s.pacs.retrieveStatus(),
    'pacs.sendResults': (req) => s.pacs.send(req),
    'pacs.sendHistory': async (req) => sendHistory(s.catalog, req.imageId),
    'pacs.receiverStatus': async () => s.pacs.receiverStatus(),
  };
}
