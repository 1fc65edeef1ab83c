/**
 * A file given on the command line, read the way the import reads it: JPEG/PNG decoded to gray
 * (EXIF orientation applied), DICOM parsed, screened, decoded and rendered. Screening decides
 * whether the model may see it at all; its codes become the prediction's quality flags.
 */
import fs from 'node:fs';
import path from 'node:path';
import { namedAsImage, sniffBytes, sniffPath } from '../imaging/sniffFile';
import { readDicomDataset } from '../imaging/dicom/parseDicom';
import { readDicomTags } from '../imaging/dicom/dicomTags';
import { screenDicom } from '../imaging/screening';
import { decodeFirstFrame } from '../imaging/dicom/decodeFrame';
import { renderFrame } from '../imaging/pixel/renderFrame';
import { decodeRaster } from '../imaging/rasterImage';
import { RENDERING_MAX_SIDE } from '../renderings/renderingStore';
import type { GrayImage } from '../models/preprocess';
import type { ImageQuality } from '../confidence/quality';

export interface InputImage {
  file: string;
  /** null when screening excluded it (then it is never predicted). */
  gray: GrayImage | null;
  quality: ImageQuality;
}

export async function readInputFile(file: string): Promise<InputImage> {
  const bytes = new Uint8Array(await fs.promises.readFile(file));
  const kind = sniffBytes(bytes.subarray(0, 132));
  if (kind === 'jpeg' || kind === 'png') {
    return { file, gray: await decodeRaster(bytes, file, RENDERING_MAX_SIDE), quality: { status: 'eligible', exclusionReason: null, warnings: [] } };
  }
  if (kind !== 'dicom' && kind !== 'dicom-raw') throw new Error(`${file}: not a JPEG, PNG or DICOM file (judged by its content)`);
  const ds = await readDicomDataset(bytes, file, { raw: kind === 'dicom-raw' });
  const tags = readDicomTags(ds);
  const screening = screenDicom(tags);
  const quality: ImageQuality = {
    status: screening.exclusion ? 'excluded' : 'eligible',
    exclusionReason: screening.exclusion,
    warnings: screening.warnings,
  };
  if (screening.exclusion) return { file, gray: null, quality };
  const { image } = renderFrame(await decodeFirstFrame(ds, tags, file), tags, ds);
  return { file, gray: image, quality };
}

/**
 * Files named directly, and under folders named (sorted, recursive) the files import would take:
 * judged by content (DICOM files often have no extension), plus files named as images that hold
 * none, so that the user hears of them rather than having them skipped in silence.
 */
export async function expandInputs(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (p: string, named: boolean): Promise<void> => {
    const st = await fs.promises.stat(p);
    if (st.isDirectory()) {
      for (const e of (await fs.promises.readdir(p)).sort()) await walk(path.join(p, e), false);
    } else if (named || namedAsImage(p) || (st.isFile() && (await sniffPath(p)) !== 'unknown')) out.push(p);
  };
  for (const p of paths) await walk(p, true);
  return out;
}
