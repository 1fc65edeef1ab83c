import { z } from 'zod';
import { LABELS, type Label } from './labels';

/** A probability interval (the 95 % band) for one class, on the calibrated scale: the one band type. */
export interface Band {
  lo: number;
  hi: number;
}

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');

export const worklistFilters = z
  .object({
    /** COVID-19 probability at or above the operating threshold. */
    flagged: z.boolean().optional(),
    unreviewed: z.boolean().optional(),
    predicted: z.enum(LABELS).optional(),
    /** 'hide' keeps excluded images out, 'only' shows nothing else. */
    excluded: z.enum(['all', 'hide', 'only']).optional(),
    dateFrom: isoDate.optional(),
    dateTo: isoDate.optional(),
    text: z.string().max(200).optional(),
  })
  .strict();
export type WorklistFilters = z.infer<typeof worklistFilters>;

export const SORT_KEYS = ['priority', 'covid', 'date', 'patient', 'predicted'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export const worklistSort = z.object({ key: z.enum(SORT_KEYS), dir: z.enum(['asc', 'desc']) }).strict();
export type WorklistSort = z.infer<typeof worklistSort>;
/** Unreviewed first, then COVID-19 probability high to low. */
export const DEFAULT_SORT: WorklistSort = { key: 'priority', dir: 'desc' };

export const MAX_PAGE = 500;

export interface WorklistReview {
  label: Label;
  reviewer: string;
  agreesWithModel: boolean | null;
  at: string;
}

/** One image of the worklist with its study, patient, current prediction and latest review. */
export interface WorklistRow {
  imageId: number;
  patientKey: string;
  patientName: string | null;
  studyDate: string | null;
  studyDescription: string | null;
  modality: string | null;
  view: string | null;
  fileName: string;
  status: 'eligible' | 'excluded';
  exclusionReason: string | null;
  warnings: string[];
  referenceLabel: Label | null;
  predicted: Label | null;
  pCovid: number | null;
  covidBand: Band | null;
  quality: string[];
  review: WorklistReview | null;
}

export interface WorklistPage {
  rows: WorklistRow[];
  total: number;
  offset: number;
  /** The operating threshold that 'flagged' used. */
  threshold: number;
  /** Time SQLite took for the page and the count. */
  queryMs: number;
}

export const worklistRequests = {
  query: z
    .object({
      filters: worklistFilters.default({}),
      sort: worklistSort.default(DEFAULT_SORT),
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(MAX_PAGE).default(100),
    })
    .strict(),
  /** Counts the header and the review queue show. */
  counts: z.object({}).strict(),
};

export interface WorklistCounts {
  images: number;
  eligible: number;
  excluded: number;
  predicted: number;
  flagged: number;
  flaggedUnreviewed: number;
  reviewed: number;
  threshold: number;
}

/** Plain words for the warning and quality codes that import and prediction write. */
export function describeFlag(code: string): string {
  const known: Record<string, string> = {
    // Import screening (exclusions and warnings).
    non_image_sop: 'Not an image object (e.g. a report or structured data)',
    modality_ct_mr: 'CT or MR, not a radiograph',
    body_part_not_chest: 'Body part is not the chest',
    lateral_view: 'Lateral view; the model reads frontal views only',
    too_large: 'Image too large to process',
    undecodable: 'The pixel data could not be decoded',
    modality_ot: 'Modality "OT" (other): check that this is a chest radiograph',
    no_body_part: 'No body part recorded',
    multiframe_first_frame: 'Multi-frame image; the first frame was used',
    // Prediction quality.
    ood: 'Unlike the images the model was validated on (out of distribution): treat the prediction with care',
    'ood-unchecked': 'Out-of-distribution check not available for this model',
    uncalibrated: 'Model not calibrated: probabilities may be over-confident',
    'conformal-uncalibrated': 'No conformal calibration: the set lists every class',
    low_contrast: 'Low contrast image',
  };
  return known[code] ?? code.replace(/[_-]+/g, ' ').replace(/^./, (c) => c.toUpperCase());
}
