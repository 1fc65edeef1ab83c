/**
 * The quality flags shown beside every prediction. A prediction is never a silent pass: the
 * import's DICOM reasons, an out-of-distribution score above the val threshold, and any missing
 * calibration all appear as flags.
 */
import { isOod } from './ood';
import type { OodCalibration } from '../models/card';

/** The image fields the import records (images.status, exclusion_reason, warnings). */
export interface ImageQuality {
  status: 'eligible' | 'excluded';
  exclusionReason: string | null;
  warnings: readonly string[];
}

const QUALITY_FLAGS = {
  /** The energy (or max-softmax) score is above the val threshold. */
  ood: 'ood',
  /** The model card has no OOD threshold, so no image could be checked. */
  oodUnchecked: 'ood-unchecked',
  /** The model card has no temperature: probabilities are the raw softmax. */
  uncalibrated: 'uncalibrated',
  /** The model card has no conformal threshold: every set is all classes. */
  noConformal: 'conformal-uncalibrated',
} as const;

export function qualityFlags(
  image: ImageQuality | null,
  ood: { score: number; cal: OodCalibration | null },
  card: { calibrated: boolean; conformal: boolean },
): string[] {
  const flags: string[] = [];
  if (image) {
    if (image.exclusionReason) flags.push(image.exclusionReason);
    for (const w of image.warnings) if (!flags.includes(w)) flags.push(w);
  }
  if (!ood.cal) flags.push(QUALITY_FLAGS.oodUnchecked);
  else if (!Number.isFinite(ood.score) || isOod(ood.score, ood.cal)) flags.push(QUALITY_FLAGS.ood);
  if (!card.calibrated) flags.push(QUALITY_FLAGS.uncalibrated);
  if (!card.conformal) flags.push(QUALITY_FLAGS.noConformal);
  return flags;
}
