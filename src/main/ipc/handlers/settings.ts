import { audit, getSetting, setSetting, type Catalog } from '../../catalog/openCatalog';
import { REVIEWER_SETTING } from '../../catalog/reviews';
import { operatingThreshold, THRESHOLD_SETTING } from '../../catalog/worklist';
import type { AppSettings } from '../../../shared/settings';
import type { Services } from '../../services/services';
import type { GroupImpl } from './types';

function readSettings(db: Catalog): AppSettings {
  const t = operatingThreshold(db);
  return { reviewerName: getSetting(db, REVIEWER_SETTING) ?? '', operatingThreshold: t.value, thresholdSource: t.source };
}

export function settingsHandlers(s: Services): GroupImpl<'settings'> {
  return {
    'settings.get': async () => readSettings(s.catalog),
    'settings.set': async (req) => {
      const db = s.catalog;
      const before = readSettings(db);
      db.transaction(() => {
        if (req.reviewerName !== undefined) setSetting(db, REVIEWER_SETTING, req.reviewerName);
        if (req.operatingThreshold === null) db.prepare('DELETE FROM settings WHERE key = ?').run(THRESHOLD_SETTING);
        else if (req.operatingThreshold !== undefined) setSetting(db, THRESHOLD_SETTING, String(req.operatingThreshold));
      })();
      const after = readSettings(db);
      audit(db, {
        actor: after.reviewerName || 'app',
        action: 'settings.set',
        entity: 'settings',
        detail: { before, after },
      });
      return after;
    },
  };
}
