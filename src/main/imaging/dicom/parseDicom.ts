import * as dicomParserNs from 'dicom-parser';
import type { DataSet, ParseDicomOptions } from 'dicom-parser';
import { ImagingError, describeThrown } from '../imagingError';
import { rawLayout } from '../sniffFile';
import { isNonImageSopClass } from './nonImageSop';
import zlib from 'node:zlib';
import { inflateDataset, INFLATE_OVERHEAD_BYTES } from './inflateDataset';

const DEFLATED = '1.2.840.10008.1.2.1.99';

/** dicom-parser is a UMD bundle: under Node's ESM loader its API sits on `default`. */
export const dicomParser = ((dicomParserNs as unknown as { default?: typeof dicomParserNs }).default ??
  dicomParserNs) as typeof dicomParserNs;

/**
 * Parses a DICOM file's bytes: Part 10 files, and files without the 128-byte preamble (see
 * sniffFile's rawLayout): a File Meta group without preamble is read as Part 10, its transfer
 * syntax honoured; a bare dataset is read in the transfer syntax its first element shows.
 * Files that may be deflated go through readDicomDataset, which inflates under a cap set by the
 * tags; this synchronous path inflates within INFLATE_OVERHEAD_BYTES only. `inflated: true` parses
 * a dataset's `byteArray` (the inflated file) again without inflating.
 *
 * A dataset cut short is an error, except when what was read says it is an object with no
 * image (an RT Plan, a report …) and no pixel data had begun: then it is returned as read so far,
 * so that screening can call it what it is (`non_image_sop`) rather than unreadable.
 */
export function parseDicom(bytes: Uint8Array, file: string, opts: { raw?: boolean; inflated?: boolean } = {}): DataSet {
  const options: ParseDicomOptions = {
    // The typings say void; dicom-parser really uses the returned full byte array.
    inflater: ((byteArray: Uint8Array, position: number) =>
      opts.inflated ? byteArray : inflateWithin(byteArray, position, file)) as unknown as ParseDicomOptions['inflater'],
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
    if (err instanceof ImagingError) throw err;
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

function inflateWithin(byteArray: Uint8Array, position: number, file: string): Uint8Array {
  let inflated: Buffer;
  try {
    inflated = zlib.inflateRawSync(byteArray.subarray(position), { maxOutputLength: INFLATE_OVERHEAD_BYTES });
  } catch (err) {
    throw new ImagingError(file, 'parse_failed', `the deflated dataset does not inflate within ${INFLATE_OVERHEAD_BYTES} bytes: ${describeThrown(err)}`);
  }
  const full = new Uint8Array(position + inflated.length);
  full.set(byteArray.subarray(0, position), 0);
  full.set(inflated, position);
  return full;
}

/**
 * Parses a DICOM file's bytes like parseDicom, inflating a deflated dataset once, streaming,
 * under the cap its own tags set (a decompression bomb is refused before it exists).
 */
export async function readDicomDataset(bytes: Uint8Array, file: string, opts: { raw?: boolean } = {}): Promise<DataSet> {
  if (!opts.raw) {
    let meta: (DataSet & { position?: number }) | undefined;
    try {
      meta = dicomParser.readPart10Header(bytes) as DataSet & { position?: number };
    } catch {
      // Not a readable Part 10 header: parseDicom says why.
    }
    if (meta && meta.position !== undefined && isDeflated(transferSyntaxOf(meta))) {
      const full = await inflateDataset(bytes.subarray(0, meta.position), bytes.subarray(meta.position), file);
      return parseDicom(full, file, { inflated: true });
    }
  }
  return parseDicom(bytes, file, opts);
}

export function transferSyntaxOf(ds: DataSet): string {
  return (ds.string('x00020010') ?? '1.2.840.10008.1.2').replace(/\0/g, '').trim();
}

export const isDeflated = (uid: string): boolean => uid === DEFLATED;
