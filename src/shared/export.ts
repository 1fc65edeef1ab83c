import { z } from 'zod';
import { DEFAULT_SORT, worklistFilters, worklistSort } from './worklist';

export const exportRequests = {
  /** The worklist view as CSV, written by main to a path the user picks in a save dialog. */
  csv: z
    .object({
      filters: worklistFilters.default({}),
      sort: worklistSort.default(DEFAULT_SORT),
      includeIdentifiers: z.boolean().default(false),
    })
    .strict(),
  /** Stops the export in progress; the chosen file is left as it was. */
  cancel: z.object({}).strict(),
};

/**
 * The CSV itself never crosses IPC (100,000 rows are ~15 MB): main streams it to the file the
 * user picked.
 */
export interface CsvExport {
  /** Where it was written; null when the user cancelled the dialog or the export. */
  path: string | null;
  /** Rows written; with the dialog cancelled, the rows the view holds. */
  rowCount: number;
  includeIdentifiers: boolean;
  /** The export was stopped by export.cancel before it finished. */
  cancelled: boolean;
}

/** Rows written so far of an export in progress. */
export interface CsvExportProgress {
  done: number;
  total: number;
}
