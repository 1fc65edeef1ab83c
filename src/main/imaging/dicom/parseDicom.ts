import * as dicomParserNs from 'dicom-parser';
import type { DataSet, ParseDicomOptions } from 'dicom-parser';
import zlib from 'node:zlib';
import { ImagingError, describeThrown } from '../imagingError';
import { rawLayout } from '../sniffFile';
import { isNonImageSopClass } from './nonImageSop';

/** A deflated dataset may not inflate past this: a guard against decompression bombs. */
const MAX_INFLATED_BYTES = 1 << 30;

const DEFLATED = '1.2.840.10008.1.2.1.99';

/** dicom-parser is a UMD bundle: under Node's ESM loader its API sits on `default`. */
export const dicomParser = ((dicomParserNs as unknown as { default?: typeof dicomParserNs }).default ??
  dicomParserNs) as typeof dicomParserNs;

/**
 * Parses a DICOM file's bytes: Part 10 files, and files without the 128-byte preamble (see
 * sniffFile's rawLayout): a File Meta group without preamble is read as Part 10, its transfer
 * syntax honoured; a bare dataset is read in the transfer syntax its first element shows.
 * Deflated datasets are inflated with node:zlib, bounded in size.
 *
 * A dataset cut short is an error, except when what was read says it is an object with no
 * image (an RT Plan, a report …) and no pixel data had begun: then it is returned as read so far,
 * so that screening can call it what it is (`non_image_sop`) rather than unreadable.
 */
export function parseDicom(bytes: Uint8Array, file: string, opts: { raw?: boolean } = {}): DataSet {
  const options: ParseDicomOptions = {
    // The typings say void; dicom-parser really uses the returned full byte array.
    inflater: ((byteArray: Uint8Array, position: number) => {
      const inflated = zlib.inflateRawSync(byteArray.subarray(position), { maxOutputLength: MAX_INFLATED_BYTES });
      const full = new Uint8Array(position + inflated.length);
      full.set(byteArray.subarray(0, position), 0);
      full.set(inflated, position);
      return full;
    }) as unknown as ParseDicomOptions['inflater'],
  };
  let input = bytes;
  if (opts.raw) {
    const layout = rawLayout(bytes.subarray(0, 8));
    if (layout === 'meta') {
      // Give it the preamble it lacks, so the meta group and its transfer syntax are read as such.
      input = new Uint8Array(132 + bytes.length);
      input.set([0x44, 0x49, 0x43, 0x4d], 128);
      input.set(bytes, 132);
    } else {
      options.TransferSyntaxUID = layout ?? '1.2.840.10008.1.2';
    }
  }
  try {
    return dicomParser.parseDicom(input, options);
  } catch (err) {
    // dicom-parser throws either a string or {exception, dataSet}; keep only the reason.
    const partial = err && typeof err === 'object' && 'dataSet' in err ? (err as { dataSet?: DataSet }).dataSet : undefined;
    if (partial && readableNonImage(partial)) return partial;
    const reason =
      err && typeof err === 'object' && 'exception' in err ? describeThrown((err as { exception: unknown }).exception) : describeThrown(err);
    throw new ImagingError(file, 'parse_failed', `not a readable DICOM dataset: ${reason}`);
  }
}

/** A partly parsed dataset that names a no-image SOP class and has not started any pixel data. */
function readableNonImage(ds: DataSet): boolean {
  const el = ds.elements;
  if (el.x7fe00010 || el.x7fe00008 || el.x7fe00009) return false;
  try {
    const sop = ds.string('x00080016')?.replace(/\0/g, '').trim();
    return sop !== undefined && isNonImageSopClass(sop);
  } catch {
    return false;
  }
}

export function transferSyntaxOf(ds: DataSet): string {
  return (ds.string('x00020010') ?? '1.2.840.10008.1.2').replace(/\0/g, '').trim();
}

export const isDeflated = (uid: string): boolean => uid === DEFLATED;
