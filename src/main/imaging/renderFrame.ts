import type { DataSet } from 'dicom-parser';
import type { DecodedFrame } from './decodeFrame';
import type { DicomTags } from './dicomTags';
import { storedValues } from './storedValues';
import { applyModalityLut, readModalityLut } from './modalityLut';
import { applyVoi, readVoi } from './voiLut';
import { invertMonochrome1 } from './monochrome1';
import { colorToGray } from './colorToGray';

export interface GrayImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** What the pipeline did, for the tag browser and the tests. */
export interface RenderSteps {
  voi: 'lut' | 'window' | 'auto' | 'none';
  inverted: boolean;
  color: boolean;
}

/**
 * The display pipeline, one rule per file, in the order PS3.3 C.7.6.3.1 / C.11 lays down:
 * stored values (masking, sign) → modality LUT → VOI → MONOCHROME1 inversion (once, last).
 * Colour images are reduced to gray instead.
 */
export function renderFrame(frame: DecodedFrame, tags: DicomTags, ds: DataSet): { image: GrayImage; steps: RenderSteps } {
  const { width, height } = frame;
  const photometric = tags.photometric ?? 'MONOCHROME2';
  const bitsAllocated = tags.bitsAllocated ?? 16;
  const bitsStored = tags.bitsStored ?? bitsAllocated;
  if (frame.samplesPerPixel === 3) {
    const colorSpace = frame.codecMadeRgb || photometric === 'RGB' ? 'RGB' : photometric === 'YBR_FULL_422' && frame.native ? 'YBR_422' : photometric.startsWith('YBR') ? 'YBR' : 'RGB';
    const data = colorToGray(frame.samples, { width, height, planar: frame.planar, colorSpace, maxValue: 2 ** Math.min(bitsStored, 16) - 1 });
    return { image: { data, width, height }, steps: { voi: 'none', inverted: false, color: true } };
  }
  const signed = tags.pixelRepresentation === 1;
  const containerBits = frame.samples.BYTES_PER_ELEMENT * 8;
  const stored = storedValues(frame.samples, {
    bitsStored,
    // Codecs return samples aligned to bit 0; only native data keeps its HighBit position.
    highBit: frame.native ? (tags.highBit ?? bitsStored - 1) : bitsStored - 1,
    signed,
    containerBits,
    clampUnsigned: !frame.native,
  });
  const modality = readModalityLut(ds, signed);
  const values = applyModalityLut(stored, modality);
  // A VOI LUT's first mapped value is signed when its input (the modality output) can be negative.
  const voi = readVoi(ds, signed || (modality.kind === 'linear' && (modality.slope < 0 || modality.intercept < 0)));
  const display = applyVoi(values, voi);
  const inverted = photometric === 'MONOCHROME1';
  if (inverted) invertMonochrome1(display);
  return { image: { data: display, width, height }, steps: { voi: voi.kind, inverted, color: false } };
}
