import { z } from 'zod';

/** Why an image is catalogued but never predicted (CAD4TB-style screening codes). */
export const EXCLUSION_REASONS = [
  'non_image_sop',
  'modality_ct_mr',
  'body_part_not_chest',
  'lateral_view',
  'too_large',
  'undecodable',
] as const;
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];

/** Imported and eligible, but worth a look. */
export const WARNING_CODES = ['modality_ot', 'no_body_part', 'multiframe_first_frame'] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

export interface ImportFileError {
  file: string;
  /** Readable, and never holds patient names or IDs. */
  reason: string;
}

/** The summary of one import run, as `cxr import --json` prints it and `import.done` carries it. */
export interface ImportSummary {
  importId: number;
  status: 'completed' | 'cancelled' | 'failed';
  /** Files looked at (images, DICOM and anything else found under the roots). */
  scanned: number;
  /** New images added to the catalog. */
  imported: number;
  /** Images already in the catalog (or seen twice in this run). */
  duplicates: number;
  /** Already catalogued images whose original file moved: their path was updated. */
  moved: number;
  /** Catalogued images that had not decoded (a file cut short), replaced by a copy that does. */
  repaired: number;
  /**
   * Files that claim the SOP Instance UID of another file with different bytes: the one whose
   * header parses cleanly is catalogued, and each conflict has an import_errors row naming both.
   */
  conflicts: number;
  /** New images marked excluded, by reason. */
  excluded: Partial<Record<ExclusionReason, number>>;
  /** New images imported with warnings, by code. */
  warnings: Partial<Record<WarningCode, number>>;
  /** Files that are not images (README, DICOMDIR …), by reason. */
  skipped: Record<string, number>;
  /** DICOM files by transfer syntax UID (new and duplicate alike). */
  transferSyntaxes: Record<string, number>;
  /** The first 1000 errors; every one has an import_errors row. */
  errors: ImportFileError[];
  /** All errors, listed or not. */
  errorCount: number;
  durationMs: number;
}

export interface ImportProgress {
  importId: number;
  done: number;
  total: number;
  /** The file being processed. */
  current: string | null;
  errors: number;
}

export interface ImportStatus {
  running: boolean;
  importId: number | null;
  progress: ImportProgress | null;
  /** The latest finished import's summary, if any. */
  last: ImportSummary | null;
}

export const importRequests = {
  chooseFolder: z.object({}).strict(),
  start: z
    .object({
      roots: z.array(z.string().min(1).max(4096)).min(1).max(64),
      labelsFromFolders: z.boolean().default(false),
    })
    .strict(),
  cancel: z.object({}).strict(),
  status: z.object({}).strict(),
};
