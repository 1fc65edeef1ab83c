import { audit } from '../../catalog/openCatalog';
import { worklistRowCount, writeWorklistCsv } from '../../catalog/export';
import { getSetting, REVIEWER_SETTING } from '../../catalog/settings';
import type { Services } from '../../services/services';
import { CxrError } from '../../../shared/errors';
import type { GroupImpl } from './types';

/** Progress events at most this often: 100,000 rows take a few seconds. */
const PROGRESS_EVERY_MS = 100;

export function exportHandlers(s: Services): GroupImpl<'export'> {
  // One export at a time; export.cancel aborts it.
  let running: AbortController | null = null;
  return {
    'export.csv': async (req) => {
      if (running) throw new CxrError('BUSY', 'a CSV export is running; cancel it or wait');
      const controller = new AbortController();
      running = controller;
      try {
        // Counting first checks the filters (a bad search text fails before any dialog opens).
        const inView = worklistRowCount(s.catalog, req);
        const stamp = new Date().toISOString().slice(0, 10);
        // Main writes the file: the renderer only ever gets the path the user picked, never chooses one.
        const file = s.chooseSaveFile
          ? await s.chooseSaveFile({ defaultName: `cxr-worklist-${stamp}.csv`, filters: [{ name: 'CSV', extensions: ['csv'] }] })
          : null;
        let rowCount = inView;
        let cancelled = false;
        if (file) {
          let last = 0;
          // Streamed through a temp file and a rename: an interrupted export never leaves half a CSV under the chosen name.
          ({ rowCount, cancelled } = await writeWorklistCsv(s.catalogPath, req, file, {
            signal: controller.signal,
            onProgress: (done, total) => {
              const now = performance.now();
              if (now - last < PROGRESS_EVERY_MS && done < total) return;
              last = now;
              s.events.emit('export.progress', { done, total });
            },
          }));
        }
        const written = file !== null && !cancelled;
        audit(s.catalog, {
          actor: getSetting(s.catalog, REVIEWER_SETTING) || 'app',
          action: 'export.csv',
          // Free-text search is often a patient's name or ID: the audit log records that one was used, not what.
          detail: { rowCount, includeIdentifiers: req.includeIdentifiers, written, cancelled, filters: { ...req.filters, text: req.filters.text ? '(withheld)' : undefined } },
        });
        return { path: written ? file : null, rowCount, includeIdentifiers: req.includeIdentifiers, cancelled };
      } finally {
        running = null;
      }
    },
    'export.cancel': async () => {
      if (!running) return { cancelled: false };
      running.abort();
      return { cancelled: true };
    },
  };
}
