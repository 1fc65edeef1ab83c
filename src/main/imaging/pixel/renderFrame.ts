import type { DataSet } from 'dicom-parser';
import type { DecodedFrame } from '../dicom/decodeFrame';
import type { DicomTags } from '../dicom/dicomTags';
import { storedValues } from './storedValues';
import { applyModalityLut, readModalityLut } from './modalityLut';
import { applyVoi, readVoi } from './voiLut';
import { invertMonochrome1 } from './monochrome1';
import { colorToGray } from './colorToGray';
import { paletteToRgb, readPalette } from './paletteColor';

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
 * Colour images are reduced to gray instead; PALETTE COLOR indices go through their palette
 * first, then to gray the same way.
 */
export function renderFrame(frame: DecodedFrame, tags: DicomTags, ds: DataSet): { image: GrayImage; steps: RenderSteps } {
  const { width, height } = frame;
  const photometric = tags.photometric ?? 'MONOCHROME2';
  const bitsAllocated = tags.bitsAllocated ?? 16;
  const bitsStored = tags.bitsStored ?? bitsAllocated;
  if (frame.samplesPerPixel === 3) {
    const colorSpace = frame.codecMadeRgb || photometric === 'RGB' ? 'RGB' : photometric === 'YBR_FULL_422' && frame.native ? 'YBR_422' : photometric.startsWith('YBR') ? 'YBR' : 'RGB';
    const data = colorToGray(frame.samples, { width, height, planar: frame.planar, colorSpace, maxValue: 2 ** Math.min(bitsStored, frame.samples.BYTES_PER_ELEMENT * 8) - 1 });
    return { image: { data, width, height }, steps: { voi: 'none', inverted: false, color: true } };
  }
  const signed = tags.pixelRepresentation === 1;
  const containerBits = frame.samples.BYTES_PER_ELEMENT * 8;
  const highBitOf = frame.native ? (tags.highBit ?? bitsStored - 1) : bitsStored - 1;
  if (photometric === 'PALETTE COLOR') {
    const palette = readPalette(ds, signed);
    if (palette) {
      const indices = storedValues(frame.samples, { bitsStored, highBit: highBitOf, signed, containerBits, clampUnsigned: !frame.native });
      const { rgb, maxValue } = paletteToRgb(indices, palette);
      const data = colorToGray(rgb, { width, height, planar: false, colorSpace: 'RGB', maxValue });
      return { image: { data, width, height }, steps: { voi: 'none', inverted: false, color: true } };
    }
    // No usable palette: the indices are shown as gray, as the monochrome path would.
  }
  const storedOpts = {
    bitsStored,
    // Codecs return samples aligned to bit 0; only native data keeps its HighBit position.
    highBit: highBitOf,
    signed,
    containerBits,
    clampUnsigned: !frame.native,
  };
  const modality = readModalityLut(ds, signed);
  // A VOI LUT's first mapped value is signed when its input (the modality output) can be negative.
  const voi = readVoi(ds, signed || (modality.kind === 'linear' && (modality.slope < 0 || modality.intercept < 0)));
  const inverted = photometric === 'MONOCHROME1';
  let display: Uint8Array;
  if (frame.samples instanceof Uint32Array) {
    // 32-bit samples: too many possible values for a table; run the rules over the pixels.
    display = applyVoi(applyModalityLut(storedValues(frame.samples, storedOpts), modality), voi);
    if (inverted) invertMonochrome1(display);
  } else {
    // Every rule is a function of the raw sample alone (the automatic window also needs how often
    // each occurs), so run them once over all 2^8 or 2^16 possible samples, then look pixels up.
    const domainSize = 2 ** containerBits;
    const domain = containerBits === 8 ? new Uint8Array(domainSize) : new Uint16Array(domainSize);
    for (let i = 0; i < domainSize; i++) domain[i] = i;
    // Only the automatic window needs to know how often each sample occurs.
    const counts = voi.kind === 'auto' ? histogram(frame.samples, domainSize) : undefined;
    const lut = applyVoi(applyModalityLut(storedValues(domain, storedOpts), modality), voi, counts);
    if (inverted) invertMonochrome1(lut);
    display = lookUp(frame.samples, lut);
  }
  return { image: { data: display, width, height }, steps: { voi: voi.kind, inverted, color: false } };
}

function histogram(samples: Uint8Array | Uint16Array, size: number): Uint32Array {
  const counts = new Uint32Array(size);
  for (let i = 0; i < samples.length; i++) counts[samples[i]!]!++;
  return counts;
}

function lookUp(samples: Uint8Array | Uint16Array, lut: Uint8Array): Uint8Array {
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = lut[samples[i]!]!;
  return out;
}
