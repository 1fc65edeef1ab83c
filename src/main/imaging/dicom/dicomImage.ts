import fs from 'node:fs';
import type { DataSet } from 'dicom-parser';
import { readDicomDataset } from './parseDicom';
import { readDicomTags, type DicomTags } from './dicomTags';
import { decodeFirstFrame, type DecodedFrame } from './decodeFrame';
import { renderFrame, type GrayImage, type RenderSteps } from '../pixel/renderFrame';
import { sniffBytes } from '../sniffFile';
import { ImagingError } from '../imagingError';

export interface DicomImage {
  ds: DataSet;
  tags: DicomTags;
  frame: DecodedFrame;
  image: GrayImage;
  steps: RenderSteps;
}

/** Parses, decodes frame 0 and renders a DICOM file: the whole read path in one call. */
export async function readDicomImage(file: string, bytes?: Uint8Array): Promise<DicomImage> {
  const data = bytes ?? new Uint8Array(await fs.promises.readFile(file));
  const kind = sniffBytes(data.subarray(0, 132));
  if (kind !== 'dicom' && kind !== 'dicom-raw') throw new ImagingError(file, 'not_dicom', `not a DICOM file (looks like ${kind})`);
  const ds = await readDicomDataset(data, file, { raw: kind === 'dicom-raw' });
  const tags = readDicomTags(ds);
  const frame = await decodeFirstFrame(ds, tags, file);
  const { image, steps } = renderFrame(frame, tags, ds);
  return { ds, tags, frame, image, steps };
}
