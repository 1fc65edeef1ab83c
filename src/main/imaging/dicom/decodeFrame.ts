import type { DataSet, Element } from 'dicom-parser';
import { dicomParser } from './parseDicom';
import type { DicomTags } from './dicomTags';
import { ImagingError, describeThrown } from '../imagingError';
import { floatPixelDataDetail } from './nonImageSop';
import { transferSyntaxInfo } from './transferSyntax';
import { decodeCornerstone } from './decoders/cornerstoneCodecs';
import { decodeDcmjs } from './decoders/dcmjsCodecs';
import { jpegNeedsColorTransform } from './decoders/jpegColorTransform';
import { j2kCodestream } from './decoders/j2kCodestream';

/** Above this a frame is not decoded at all (the screening rule `too_large` is 100 megapixels). */
export const MAX_FRAME_PIXELS = 100_000_000;

/** One decoded frame, before any pixel-pipeline rule: samples exactly as stored. */
export interface DecodedFrame {
  /** Unsigned containers; sign and bit masking are the pipeline's job (storedValues.ts). */
  samples: Uint8Array | Uint16Array | Uint32Array;
  width: number;
  height: number;
  samplesPerPixel: number;
  /** Colour samples are planar (RRR…GGG…BBB) rather than interleaved. */
  planar: boolean;
  /**
   * The samples are RGB whatever the photometric says: the codec turned YCbCr into RGB (JPEG,
   * JPEG 2000 colour), or the JPEG stream said its components are RGB as stored.
   */
  codecMadeRgb: boolean;
  /** Native (uncompressed) data keeps its HighBit position; codecs return low-aligned samples. */
  native: boolean;
}

function undecodable(file: string, reason: string): ImagingError {
  return new ImagingError(file, 'undecodable', reason);
}

/** Decodes frame 0 (the only frame import renders) of a dataset with pixel data. */
export async function decodeFirstFrame(ds: DataSet, tags: DicomTags, file: string): Promise<DecodedFrame> {
  const pixel = ds.elements.x7fe00010;
  if (!pixel) {
    if (tags.floatPixelData) throw new ImagingError(file, 'no_pixel_data', floatPixelDataDetail(tags.floatPixelData));
    throw new ImagingError(file, 'no_pixel_data', 'the dataset has no Pixel Data element');
  }
  const width = tags.cols ?? 0;
  const height = tags.rows ?? 0;
  const spp = tags.samplesPerPixel ?? 1;
  const bitsAllocated = tags.bitsAllocated ?? 0;
  if (width < 1 || height < 1) throw undecodable(file, `invalid image size ${width}x${height}`);
  if (width * height > MAX_FRAME_PIXELS) {
    throw new ImagingError(file, 'too_large', `${width}x${height} is over ${MAX_FRAME_PIXELS / 1e6} megapixels`);
  }
  if (spp !== 1 && spp !== 3) throw undecodable(file, `SamplesPerPixel ${spp} is not 1 or 3`);
  if (![8, 16, 32].includes(bitsAllocated)) throw undecodable(file, `BitsAllocated ${bitsAllocated} is not supported`);
  const ts = transferSyntaxInfo(tags.transferSyntax);
  if (!ts) {
    throw new ImagingError(file, 'unsupported_transfer_syntax', `transfer syntax ${tags.transferSyntax} is not supported`);
  }
  const planarTag = (tags.planarConfiguration ?? 0) === 1 && spp === 3;
  try {
    if (ts.encoding === 'native' || ts.encoding === 'native-big-endian') {
      if (pixel.encapsulatedPixelData) throw new Error('native transfer syntax but encapsulated pixel data');
      const samples = nativeSamples(ds, pixel, nativeSampleCount(width, height, spp, tags.photometric), bitsAllocated, ts.encoding === 'native-big-endian', file);
      return { samples, width, height, samplesPerPixel: spp, planar: planarTag, codecMadeRgb: false, native: true };
    }
    const encoded = firstFrameBytes(ds, pixel, tags.frames);
    const geometry = {
      width,
      height,
      bitsAllocated,
      bitsStored: tags.bitsStored ?? bitsAllocated,
      samplesPerPixel: spp,
      pixelRepresentation: tags.pixelRepresentation ?? 0,
      planarConfiguration: tags.planarConfiguration ?? 0,
      photometric: tags.photometric ?? 'MONOCHROME2',
    };
    switch (ts.encoding) {
      case 'jpeg-baseline':
        if (spp === 3 && jpegNeedsColorTransform(encoded, tags.photometric) === false) {
          // RGB as stored (an Adobe APP14 "no transform" marker): decode with no colour conversion.
          const bytes = await decodeDcmjs('jpeg', encoded, geometry);
          return { samples: toSamples(bytes, width * height * spp, file), width, height, samplesPerPixel: spp, planar: false, codecMadeRgb: true, native: false };
        }
      // falls through: the codec applies the YCbCr→RGB transform the stream asks for
      case 'jpeg-ls':
      case 'jpeg2000': {
        const stream = ts.encoding === 'jpeg2000' ? j2kCodestream(encoded, width) : encoded;
        const out = await decodeCornerstone(ts.encoding, stream);
        if (out.width === 0 || out.height === 0) throw new Error('the codec found no image header in the compressed data (damaged codestream)');
        if (out.width !== width || out.height !== height || out.components !== spp) {
          throw new Error(`codec says ${out.width}x${out.height}x${out.components}, tags say ${width}x${height}x${spp}`);
        }
        // JPEG decoders apply the colour transform the stream asks for. JPEG 2000 decoders invert
        // only the codestream's multi-component transform, which DICOM names YBR_RCT/YBR_ICT (or
        // RGB): a YBR_FULL codestream stays YBR. JPEG-LS keeps the stored colour space.
        const photometric = tags.photometric ?? '';
        const made = spp === 3 && (ts.encoding === 'jpeg-baseline' || (ts.encoding === 'jpeg2000' && !photometric.startsWith('YBR_FULL')));
        return { samples: toSamples(out.bytes, width * height * spp, file), width, height, samplesPerPixel: spp, planar: false, codecMadeRgb: made, native: false };
      }
      case 'jpeg-extended':
      case 'jpeg-lossless': {
        const bytes = await decodeDcmjs('jpeg', encoded, geometry);
        return { samples: toSamples(bytes, width * height * spp, file), width, height, samplesPerPixel: spp, planar: false, codecMadeRgb: false, native: false };
      }
      case 'rle': {
        const bytes = await decodeDcmjs('rle', encoded, geometry);
        return { samples: toSamples(bytes, width * height * spp, file), width, height, samplesPerPixel: spp, planar: planarTag, codecMadeRgb: false, native: false };
      }
    }
  } catch (err) {
    if (err instanceof ImagingError) throw err;
    throw undecodable(file, `${ts.name} pixel data could not be decoded: ${describeThrown(err)}`);
  }
}

/**
 * Samples in one uncompressed frame. YBR_FULL_422 stores two luma and one Cb/Cr pair per two
 * pixels (Y1 Y2 Cb Cr, PS3.3 C.7.6.3.1.2): two samples per pixel, not three.
 */
function nativeSampleCount(width: number, height: number, spp: number, photometric: string | undefined): number {
  if (spp === 3 && photometric === 'YBR_FULL_422') return Math.ceil((width * height) / 2) * 4;
  return width * height * spp;
}

/** Reads frame 0 of uncompressed pixel data, refusing a declared size the file does not hold. */
function nativeSamples(
  ds: DataSet,
  pixel: Element,
  count: number,
  bitsAllocated: number,
  bigEndian: boolean,
  file: string,
): Uint8Array | Uint16Array | Uint32Array {
  const bytesPer = bitsAllocated / 8;
  const need = count * bytesPer;
  const available = Math.min(pixel.length, ds.byteArray.length - pixel.dataOffset);
  if (need > available) {
    throw undecodable(file, `pixel data is truncated: frame needs ${need} bytes, the file holds ${Math.max(0, available)}`);
  }
  // Copy so the samples are aligned and independent of the file buffer.
  const bytes = new Uint8Array(need);
  bytes.set(ds.byteArray.subarray(pixel.dataOffset, pixel.dataOffset + need));
  if (bigEndian && bytesPer > 1) swapBytes(bytes, bytesPer);
  // Big endian OW is swapped in 16-bit words whatever the samples are: 8-bit samples written as
  // OW (dcmtk does, for colour) come in swapped pairs (PS3.5 7.3; OB is never swapped).
  if (bigEndian && bytesPer === 1 && pixel.vr === 'OW') {
    const whole = new Uint8Array(need + (need % 2));
    whole.set(ds.byteArray.subarray(pixel.dataOffset, pixel.dataOffset + whole.length));
    swapBytes(whole, 2);
    bytes.set(whole.subarray(0, need));
  }
  if (bytesPer === 1) return bytes;
  return bytesPer === 2 ? new Uint16Array(bytes.buffer) : new Uint32Array(bytes.buffer);
}

function swapBytes(b: Uint8Array, width: number): void {
  for (let i = 0; i + width <= b.length; i += width) {
    for (let lo = i, hi = i + width - 1; lo < hi; lo++, hi--) {
      const t = b[lo]!;
      b[lo] = b[hi]!;
      b[hi] = t;
    }
  }
}

/** The compressed bytes of frame 0, whatever the fragment layout. */
function firstFrameBytes(ds: DataSet, pixel: Element, frames: number): Uint8Array {
  const fragments = pixel.fragments ?? [];
  if (fragments.length === 0) throw new Error('encapsulated pixel data has no fragments');
  if (frames <= 1) return dicomParser.readEncapsulatedPixelDataFromFragments(ds, pixel, 0, fragments.length);
  if ((pixel.basicOffsetTable?.length ?? 0) > 0) return dicomParser.readEncapsulatedImageFrame(ds, pixel, 0);
  if (fragments.length === frames) return dicomParser.readEncapsulatedPixelDataFromFragments(ds, pixel, 0, 1);
  // No offset table and several fragments per frame: JPEG frames can be found by their markers.
  const table = dicomParser.createJPEGBasicOffsetTable(ds, pixel);
  return dicomParser.readEncapsulatedImageFrame(ds, pixel, 0, table);
}

/** Views codec output as samples, one, two or four bytes each (little endian), judged from its length. */
function toSamples(bytes: Uint8Array, count: number, file: string): Uint8Array | Uint16Array | Uint32Array {
  if (bytes.length === count) return bytes;
  if (bytes.length === count * 2) {
    const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
    return new Uint16Array(aligned.buffer, aligned.byteOffset, count);
  }
  if (bytes.length === count * 4) {
    // 32 bits allocated (RLE keeps four byte segments per sample).
    const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
    return new Uint32Array(aligned.buffer, aligned.byteOffset, count);
  }
  throw undecodable(file, `decoder returned ${bytes.length} bytes for ${count} samples`);
}
