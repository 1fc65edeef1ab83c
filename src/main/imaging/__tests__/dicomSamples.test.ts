import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { SHARED_DATA } from '../../../../test/helpers/tempServices';
import { readDicomImage } from '../dicom/dicomImage';
import { screenDicom } from '../screening';
import { transferSyntaxInfo } from '../dicom/transferSyntax';

const DIR = path.join(SHARED_DATA, 'dicom');

/** What each sample's tags say it is, and so how screening must sort it. */
const EXPECTED: Record<string, { exclusion: string | null; warnings: string[]; size: [number, number] }> = {
  'CT_small.dcm': { exclusion: 'modality_ct_mr', warnings: ['no_body_part'], size: [128, 128] },
  'MR_small_RLE.dcm': { exclusion: 'modality_ct_mr', warnings: ['no_body_part'], size: [64, 64] },
  'RG1_J2KI.dcm': { exclusion: null, warnings: [], size: [1841, 1955] },
  'RG1_JLSN.dcm': { exclusion: null, warnings: [], size: [1841, 1955] },
  'RG2_J2KI.dcm': { exclusion: 'body_part_not_chest', warnings: [], size: [1760, 2140] },
  'RG2_JPLY.dcm': { exclusion: 'body_part_not_chest', warnings: [], size: [1760, 2140] },
  'RG3_J2KR.dcm': { exclusion: 'body_part_not_chest', warnings: [], size: [1760, 1760] },
  'RG3_JLSL.dcm': { exclusion: 'body_part_not_chest', warnings: [], size: [1760, 1760] },
  'RG3_JPLL.dcm': { exclusion: 'body_part_not_chest', warnings: [], size: [1760, 1760] },
  'RG3_JPLY.dcm': { exclusion: 'body_part_not_chest', warnings: [], size: [1760, 1760] },
  'RG3_RLE.dcm': { exclusion: 'body_part_not_chest', warnings: [], size: [1760, 1760] },
  'SC_rgb_jpeg_dcmtk.dcm': { exclusion: null, warnings: ['modality_ot', 'no_body_part'], size: [100, 100] },
  'SC_rgb_jpeg_lossy_gdcm.dcm': { exclusion: null, warnings: ['modality_ot', 'no_body_part'], size: [100, 100] },
  'image_dfl.dcm': { exclusion: null, warnings: ['modality_ot', 'no_body_part'], size: [512, 512] },
  'nih_cxr14_chest_DX.dcm': { exclusion: null, warnings: ['no_body_part'], size: [1024, 1024] },
};

describe('the 15 DICOM samples', () => {
  it('are all there', () => {
    expect(fs.readdirSync(DIR).filter((f) => f.endsWith('.dcm')).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, want] of Object.entries(EXPECTED)) {
    it(`${file} decodes to a non-flat ${want.size.join('x')} rendering and screens as ${want.exclusion ?? 'eligible'}`, async () => {
      const d = await readDicomImage(path.join(DIR, file));
      expect(transferSyntaxInfo(d.tags.transferSyntax)).toBeDefined();
      expect([d.image.width, d.image.height]).toEqual(want.size);
      expect(d.image.data.length).toBe(want.size[0] * want.size[1]);
      // A decode that silently produced zeros or a constant would pass a shape check; not this.
      let min = 255;
      let max = 0;
      for (const v of d.image.data) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      expect(max - min).toBeGreaterThan(100);
      const s = screenDicom(d.tags);
      expect(s.exclusion).toBe(want.exclusion);
      expect(s.warnings.sort()).toEqual(want.warnings.sort());
    });
  }

  it('nih_cxr14_chest_DX.dcm is the known 1024x1024 8-bit implicit-VR-little-endian DX', async () => {
    const file = path.join(DIR, 'nih_cxr14_chest_DX.dcm');
    expect(fs.statSync(file).size).toBe(1049368);
    const d = await readDicomImage(file);
    expect(d.tags.transferSyntax).toBe('1.2.840.10008.1.2');
    expect(d.tags).toMatchObject({ rows: 1024, cols: 1024, bitsAllocated: 8, bitsStored: 8, modality: 'DX', photometric: 'MONOCHROME2' });
    expect(d.frame.samples).toBeInstanceOf(Uint8Array);
  });

  it('reads the 12-bit JPEG extended hip with values up to its 10 stored bits', async () => {
    const d = await readDicomImage(path.join(DIR, 'RG2_JPLY.dcm'));
    expect(d.tags.transferSyntax).toBe('1.2.840.10008.1.2.4.51');
    let max = 0;
    for (const v of d.frame.samples) if (v > max) max = v;
    expect(max).toBeGreaterThan(500);
    expect(max).toBeLessThan(1 << 12);
  });
});
