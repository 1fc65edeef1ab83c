import type { DicomTags } from './dicom/dicomTags';
import type { ExclusionReason, WarningCode } from '../../shared/import';
import { MAX_FRAME_PIXELS } from './dicom/decodeFrame';
import { floatPixelDataDetail, isNonImageSopClass } from './dicom/nonImageSop';

export interface Screening {
  exclusion: ExclusionReason | null;
  warnings: WarningCode[];
  /** What the object is, where the exclusion code alone would mislead (float pixel data). */
  detail?: string;
}


const NON_IMAGE_MODALITIES = new Set(['SR', 'PR', 'KO', 'DOC', 'REG', 'RWV', 'RTPLAN', 'RTSTRUCT', 'RTRECORD', 'RTDOSE', 'PLAN']);
const LATERAL_VIEWS = new Set(['LL', 'RL', 'LATERAL', 'LAT']);

/**
 * Screens a DICOM image as the paper did (CAD4TB-style): what the model is not meant for is
 * catalogued, excluded with a reason, and never predicted. The first rule that fires wins.
 */
export function screenDicom(tags: DicomTags): Screening {
  const warnings: WarningCode[] = [];
  if (tags.modality === 'OT') warnings.push('modality_ot');
  if (!tags.bodyPart) warnings.push('no_body_part');
  if (tags.frames > 1) warnings.push('multiframe_first_frame');
  const sop = tags.sopClassUid ?? tags.mediaStorageSopClassUid ?? '';
  let exclusion: ExclusionReason | null = null;
  if (tags.floatPixelData && !tags.hasPixelData) {
    return { exclusion: 'non_image_sop', warnings, detail: floatPixelDataDetail(tags.floatPixelData) };
  }
  if (!tags.hasPixelData || NON_IMAGE_MODALITIES.has(tags.modality ?? '') || isNonImageSopClass(sop)) {
    exclusion = 'non_image_sop';
  } else if (tags.modality === 'CT' || tags.modality === 'MR') {
    exclusion = 'modality_ct_mr';
  } else if (tags.bodyPart && tags.bodyPart !== 'CHEST') {
    exclusion = 'body_part_not_chest';
  } else if (tags.viewPosition && LATERAL_VIEWS.has(tags.viewPosition)) {
    exclusion = 'lateral_view';
  } else if ((tags.rows ?? 0) * (tags.cols ?? 0) > MAX_FRAME_PIXELS) {
    exclusion = 'too_large';
  }
  return { exclusion, warnings };
}
