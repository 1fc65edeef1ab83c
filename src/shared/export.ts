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
};

export interface CsvExport {
  /** Where it was written; null when the user cancelled the dialog. */
  path: string | null;
  rowCount: number;
  includeIdentifiers: boolean;
  csv: string;
}
