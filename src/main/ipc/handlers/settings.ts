import { readSettings, updateSettings } from '../../catalog/settings';
import type { Services } from '../../services/services';
import type { GroupImpl } from './types';

export function settingsHandlers(s: Services): GroupImpl<'settings'> {
  return {
    'settings.get': async () => readSettings(s.catalog),
    'settings.set': async (req) => updateSettings(s.catalog, req),
  };
}
