import { describe, expect, it } from 'vitest';
import { screenDicom } from '../screening';
import type { DicomTags } from '../dicom/dicomTags';

const chest: DicomTags = {
  modality: 'CR',
  bodyPart: 'CHEST',
  viewPosition: 'PA',
  sopClassUid: '1.2.840.10008.5.1.4.1.1.1',
  rows: 2000,
  cols: 2000,
  frames: 1,
  transferSyntax: '1.2.840.10008.1.2.1',
  hasPixelData: true,
};

describe('screening', () => {
  it('passes a frontal chest CR with no warnings', () => {
    expect(screenDicom(chest)).toEqual({ exclusion: null, warnings: [] });
  });
  it.each([
    ['lateral view (LL)', { viewPosition: 'LL' }, 'lateral_view'],
    ['lateral view (LATERAL)', { viewPosition: 'LATERAL' }, 'lateral_view'],
    ['a structured report', { sopClassUid: '1.2.840.10008.5.1.4.1.1.88.22', modality: 'SR', hasPixelData: false }, 'non_image_sop'],
    ['a presentation state', { sopClassUid: '1.2.840.10008.5.1.4.1.1.11.1', modality: 'PR', hasPixelData: false }, 'non_image_sop'],
    ['CT', { modality: 'CT' }, 'modality_ct_mr'],
    ['a knee', { bodyPart: 'KNEE' }, 'body_part_not_chest'],
    ['over 100 megapixels', { rows: 12000, cols: 9000 }, 'too_large'],
  ] as const)('excludes %s', (_name, patch, reason) => {
    expect(screenDicom({ ...chest, ...patch }).exclusion).toBe(reason);
  });
  it('warns for modality OT, a missing body part and multi-frame, without excluding', () => {
    expect(screenDicom({ ...chest, modality: 'OT', bodyPart: undefined, frames: 3 })).toEqual({
      exclusion: null,
      warnings: ['modality_ot', 'no_body_part', 'multiframe_first_frame'],
    });
  });
});
