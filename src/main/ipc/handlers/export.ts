import { audit } from '../../catalog/openCatalog';
import { worklistCsv } from '../../catalog/export';
import { getSetting, REVIEWER_SETTING } from '../../catalog/settings';
import type { Services } from '../../services/services';
import { writeFileAtomic } from '../../services/privateFiles';
import type { GroupImpl } from './types';

export function exportHandlers(s: Services): GroupImpl<'export'> {
  return {
    'export.csv': async (req) => {
      const { csv, rowCount } = worklistCsv(s.catalog, req);
      const stamp = new Date().toISOString().slice(0, 10);
      // Main writes the file: the renderer only ever gets the path the user picked, never chooses one.
      const file = s.chooseSaveFile
        ? await s.chooseSaveFile({ defaultName: `cxr-worklist-${stamp}.csv`, filters: [{ name: 'CSV', extensions: ['csv'] }] })
        : null;
      // Temp file + rename: an interrupted export never leaves half a CSV under the chosen name.
      if (file) writeFileAtomic(file, csv);
      audit(s.catalog, {
        actor: getSetting(s.catalog, REVIEWER_SETTING) || 'app',
        action: 'export.csv',
        // Free-text search is often a patient's name or ID: the audit log records that one was used, not what.
        detail: { rowCount, includeIdentifiers: req.includeIdentifiers, written: file !== null, filters: { ...req.filters, text: req.filters.text ? '(withheld)' : undefined } },
      });
      return { path: file, rowCount, includeIdentifiers: req.includeIdentifiers, csv };
    },
  };
}
