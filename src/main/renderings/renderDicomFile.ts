import fs from 'node:fs';
import type { DataSet } from 'dicom-parser';
import { parseDicom, readDicomDataset } from '../imaging/dicom/parseDicom';
import { readDicomTags, type DicomTags } from '../imaging/dicom/dicomTags';
import { decodeFirstFrame } from '../imaging/dicom/decodeFrame';
import { renderFrame } from '../imaging/pixel/renderFrame';
import { storeRendering } from './renderingStore';
import { ImagingError, describeThrown, type ImagingErrorCode } from '../imaging/imagingError';

/** The outcome of decoding and storing one DICOM file's rendering; plain data, so it crosses threads. */
export type RenderOutcome =
  | { ok: true; renderingHash: string }
  | { ok: false; code: ImagingErrorCode | 'other'; reason: string };

/**
 * Decodes frame 0, runs the pixel pipeline and stores the rendering and thumbnail. Never throws.
 * Given an already parsed dataset it uses it; else (in a decode worker) it parses the bytes it
 * was handed (`inflated`: a deflated dataset the import thread already inflated, not inflated
 * again), or reads the file itself.
 */
export async function renderDicomFile(
  file: string,
  dataDir: string,
  opts: { raw?: boolean; parsed?: { ds: DataSet; tags: DicomTags }; bytes?: Uint8Array; inflated?: boolean } = {},
): Promise<RenderOutcome> {
  try {
    let parsed = opts.parsed;
    if (!parsed) {
      const ds = opts.bytes
        ? parseDicom(opts.bytes, file, { raw: opts.raw, inflated: opts.inflated })
        : await readDicomDataset(new Uint8Array(await fs.promises.readFile(file)), file, { raw: opts.raw });
      parsed = { ds, tags: readDicomTags(ds) };
    }
    const frame = await decodeFirstFrame(parsed.ds, parsed.tags, file);
    const { image } = renderFrame(frame, parsed.tags, parsed.ds);
    return { ok: true, renderingHash: (await storeRendering(dataDir, image)).hash };
  } catch (err) {
    if (err instanceof ImagingError) return { ok: false, code: err.code, reason: err.reason };
    return { ok: false, code: 'other', reason: `pixel data could not be rendered: ${describeThrown(err)}` };
  }
}
