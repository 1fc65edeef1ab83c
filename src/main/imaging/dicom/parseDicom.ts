import * as dicomParserNs from 'dicom-parser';
import type { DataSet, ParseDicomOptions } from 'dicom-parser';
import zlib from 'node:zlib';
import { ImagingError, describeThrown } from '../imagingError';
import { rawIsExplicit } from '../sniffFile';

/** A deflated dataset may not inflate past this: a guard against decompression bombs. */
const MAX_INFLATED_BYTES = 1 << 30;

const DEFLATED = '1.2.840.10008.1.2.1.99';

/** dicom-parser is a UMD bundle: under Node's ESM loader its API sits on `default`. */
export const dicomParser = ((dicomParserNs as unknown as { default?: typeof dicomParserNs }).default ??
  dicomParserNs) as typeof dicomParserNs;

/**
 * Parses a DICOM file's bytes: Part 10 files, and raw datasets without a preamble (for which the
 * transfer syntax is guessed from the first element's shape). Deflated datasets are inflated
 * with node:zlib, bounded in size.
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
  if (opts.raw) {
    options.TransferSyntaxUID = rawIsExplicit(bytes) ? '1.2.840.10008.1.2.1' : '1.2.840.10008.1.2';
  }
  try {
    return dicomParser.parseDicom(bytes, options);
  } catch (err) {
    // dicom-parser throws either a string or {exception, dataSet}; keep only the reason.
    const reason =
      err && typeof err === 'object' && 'exception' in err ? describeThrown((err as { exception: unknown }).exception) : describeThrown(err);
    throw new ImagingError(file, 'parse_failed', `not a readable DICOM dataset: ${reason}`);
  }
}

export function transferSyntaxOf(ds: DataSet): string {
  return (ds.string('x00020010') ?? '1.2.840.10008.1.2').replace(/\0/g, '').trim();
}

export const isDeflated = (uid: string): boolean => uid === DEFLATED;
