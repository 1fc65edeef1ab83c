import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ImageRecord } from '../catalog/imports';
import { labelFromFolderName, type Label } from '../../shared/labels';
import { IMAGE_EXTENSIONS, sniffBytes, SNIFF_BYTES } from '../imaging/sniffFile';
import type { DataSet } from 'dicom-parser';
import { readDicomDataset } from '../imaging/dicom/parseDicom';
import { readDicomTags, type DicomTags } from '../imaging/dicom/dicomTags';
import { screenDicom } from '../imaging/screening';
import { MAX_FRAME_PIXELS } from '../imaging/dicom/decodeFrame';
import { renderDicomFile, type RenderOutcome } from '../renderings/renderDicomFile';
import { decodeRaster, rasterSize } from '../imaging/rasterImage';
import { storeRendering, RENDERING_MAX_SIDE } from '../renderings/renderingStore';
import { ImagingError, describeThrown } from '../imaging/imagingError';
import type { ScannedFile } from './scan';
import type { FileBytes } from './decodePool';
import { headerProblems } from '../imaging/dicom/headerIntegrity';

/** Files above this are not read into memory at all. */
export const MAX_FILE_BYTES = 1 << 30;

const DICOMDIR_SOP = '1.2.840.10008.1.3.10';
/** CR, DX (presentation and processing) and secondary capture: objects that always carry an image. */
const RADIOGRAPH_SOP_CLASSES = new Set([
  '1.2.840.10008.5.1.4.1.1.1',
  '1.2.840.10008.5.1.4.1.1.1.1',
  '1.2.840.10008.5.1.4.1.1.1.1.1',
  '1.2.840.10008.5.1.4.1.1.7',
]);
const declaresAnImage = (tags: DicomTags): boolean =>
  ((tags.rows ?? 0) > 0 && (tags.cols ?? 0) > 0) || RADIOGRAPH_SOP_CLASSES.has(tags.sopClassUid ?? tags.mediaStorageSopClassUid ?? '');

export type FileOutcome =
  /** `problems`: what is wrong with a DICOM header that still parses (headerIntegrity.ts). */
  | { kind: 'record'; record: ImageRecord; transferSyntax?: string; error?: string; problems?: string[] }
  | { kind: 'known'; sopUid: string; transferSyntax?: string; contentHash?: string; problems?: string[] }
  | { kind: 'skipped'; reason: string }
  | { kind: 'error'; reason: string };

export interface ImportFileContext {
  dataDir: string;
  labelsFromFolders: boolean;
  /** Is this SOP UID already catalogued or claimed earlier in this run? Claims it if not. */
  claim(sopUid: string): boolean;
  /** Decodes and stores a DICOM rendering elsewhere (a pool of threads); in this thread if absent. */
  renderDicom?(file: string, raw: boolean, given?: FileBytes): Promise<RenderOutcome>;
  /** A JPEG/PNG file's patient id from a manifest.csv under the roots (importManifest.ts). */
  patientOf?(file: string): string | undefined;
}

/**
 * Imports one file up to, not including, the catalog write: sniffs it, dedupes it, decodes,
 * screens and renders it. Never throws: a bad file becomes an `error` outcome with a readable,
 * PHI-free reason.
 */
export async function importFile(f: ScannedFile, ctx: ImportFileContext): Promise<FileOutcome> {
  try {
    if (f.size > MAX_FILE_BYTES) return { kind: 'error', reason: `file is ${f.size} bytes, over the ${MAX_FILE_BYTES} byte limit` };
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(f.path);
    } catch (err) {
      return { kind: 'error', reason: `unreadable: ${(err as NodeJS.ErrnoException).code ?? describeThrown(err)}` };
    }
    const kind = sniffBytes(bytes.subarray(0, SNIFF_BYTES));
    if (kind === 'unknown') {
      // A file named as an image (or, empty, named as nothing, as DICOM files often are) that is not one gets an error row.
      const ext = path.extname(f.path).toLowerCase();
      if (bytes.length === 0 && (ext === '' || IMAGE_EXTENSIONS.has(ext))) return { kind: 'error', reason: 'empty file (0 bytes)' };
      if (IMAGE_EXTENSIONS.has(ext)) return { kind: 'error', reason: `named ${ext} but holds no DICOM, JPEG or PNG data (judged by its content)` };
      return { kind: 'skipped', reason: 'not_an_image' };
    }
    const hash = crypto.createHash('sha256').update(bytes).digest('hex');
    const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    if (kind === 'jpeg' || kind === 'png') return await importRaster(f, data, hash, kind, ctx);
    return await importDicom(f, data, hash, kind === 'dicom-raw', ctx);
  } catch (err) {
    // A codec or parser failing in a way its wrapper did not foresee still only costs this file.
    return { kind: 'error', reason: err instanceof ImagingError ? err.reason : `import failed: ${describeThrown(err)}` };
  }
}

async function importDicom(f: ScannedFile, data: Uint8Array, hash: string, raw: boolean, ctx: ImportFileContext): Promise<FileOutcome> {
  let ds: DataSet | undefined;
  try {
    ds = await readDicomDataset(data, f.path, { raw });
  } catch (err) {
    return { kind: 'error', reason: err instanceof ImagingError ? err.reason : describeThrown(err) };
  }
  let tags: DicomTags;
  try {
    tags = readDicomTags(ds);
  } catch (err) {
    // An element whose length points past the end parses, and throws only when its value is read.
    return { kind: 'error', reason: `not a readable DICOM dataset: ${describeThrown(err)}` };
  }
  if (tags.mediaStorageSopClassUid === DICOMDIR_SOP || tags.sopClassUid === DICOMDIR_SOP) {
    // The folder walk already reaches every file a DICOMDIR lists.
    return { kind: 'skipped', reason: 'dicomdir' };
  }
  const sopUid = tags.sopUid ?? `sha256:${hash}`;
  const problems = headerProblems(ds, tags);
  if (!ctx.claim(sopUid)) return { kind: 'known', sopUid, transferSyntax: tags.transferSyntax, contentHash: hash, problems };
  const screening = screenDicom(tags);
  let renderingHash: string | null = null;
  let exclusion = screening.exclusion;
  let error: string | undefined;
  if (exclusion === 'non_image_sop' && !tags.hasPixelData && !tags.floatPixelData && declaresAnImage(tags)) {
    // An image object without its pixels was cut short or damaged: the user hears of it.
    exclusion = 'undecodable';
    error = 'the dataset has no Pixel Data element: the file is cut short or damaged';
  }
  if (exclusion !== 'non_image_sop' && exclusion !== 'too_large') {
    let outcome: RenderOutcome;
    if (ctx.renderDicom) {
      // The pool thread parses the bytes read (and inflated) here; this thread keeps only the tags across the wait.
      const given = { bytes: ds.byteArray, inflated: ds.byteArray !== data };
      ds = undefined;
      outcome = await ctx.renderDicom(f.path, raw, given);
    } else outcome = await renderDicomFile(f.path, ctx.dataDir, { parsed: { ds, tags } });
    if (outcome.ok) renderingHash = outcome.renderingHash;
    else if (outcome.code === 'too_large') exclusion ??= 'too_large';
    else if (!exclusion) {
      exclusion = 'undecodable';
      error = outcome.reason;
    }
  }
  const patientKey = tags.patientId ?? `unknown:${tags.studyUid ?? hash}`;
  const studyUid = tags.studyUid ?? `derived:${patientKey}:${hash}`;
  return {
    kind: 'record',
    transferSyntax: tags.transferSyntax,
    error,
    problems,
    record: {
      patient: { key: patientKey, name: tags.patientName, sex: tags.sex, birthDate: tags.birthDate, age: tags.age },
      study: { uid: studyUid, date: tags.studyDate, accession: tags.accession, description: tags.studyDescription },
      series: {
        uid: tags.seriesUid ?? `derived:${studyUid}:series`,
        modality: tags.modality,
        bodyPart: tags.bodyPart,
        viewPosition: tags.viewPosition,
        manufacturer: tags.manufacturer,
      },
      image: {
        sopUid,
        contentHash: hash,
        sourcePath: f.path,
        fileKind: 'dicom',
        transferSyntax: tags.transferSyntax,
        photometric: tags.photometric,
        rows: tags.rows,
        cols: tags.cols,
        bitsStored: tags.bitsStored,
        pixelSpacing: tags.pixelSpacing,
        frames: tags.frames,
        renderingHash,
        exclusion,
        warnings: screening.warnings,
        tagsJson: JSON.stringify(tags),
      },
    },
  };
}

/**
 * Where a raster file's patient, study and label come from: the first folder level under the
 * root is the patient, the second the study. With labels from folders, a folder named as a class
 * gives the label instead and is not a patient; the patient is then the file's stem. A patient id
 * from a manifest wins over folders, and each of its files is then a study of its own.
 */
export function rasterPlacement(
  file: string,
  root: string,
  labelsFromFolders: boolean,
  manifestPatient?: string,
): { patientKey: string; studyKey: string; label?: Label } {
  const rel = path.relative(root, path.dirname(file));
  let levels = rel && !rel.startsWith('..') ? rel.split(path.sep) : [];
  const stem = path.basename(file, path.extname(file));
  let label: Label | undefined;
  if (labelsFromFolders) {
    // The root itself may be a class folder (importing .../val/COVID19).
    for (const name of [path.basename(root), ...levels]) label = labelFromFolderName(name) ?? label;
    levels = levels.filter((l) => labelFromFolderName(l) === undefined);
  }
  if (manifestPatient) return { patientKey: manifestPatient, studyKey: `${manifestPatient}/${stem}`, label };
  const patientKey = levels[0] ?? stem;
  const studyKey = `${patientKey}/${levels[1] ?? ''}`;
  return { patientKey, studyKey, label };
}

async function importRaster(
  f: ScannedFile,
  data: Uint8Array,
  hash: string,
  kind: 'jpeg' | 'png',
  ctx: ImportFileContext,
): Promise<FileOutcome> {
  // Content hash plus file name: labelled data sets hold byte-identical files under two names, and
  // each is a case of its own there; a moved file keeps its name, and a copied folder is a duplicate.
  const sopUid = `sha256:${hash}/${path.basename(f.path)}`;
  if (!ctx.claim(sopUid)) return { kind: 'known', sopUid };
  const size = await rasterSize(data, f.path);
  let renderingHash: string | null = null;
  let exclusion: 'too_large' | 'undecodable' | null = null;
  let error: string | undefined;
  if (size.width * size.height > MAX_FRAME_PIXELS) exclusion = 'too_large';
  else {
    try {
      const image = await decodeRaster(data, f.path, RENDERING_MAX_SIDE);
      renderingHash = (await storeRendering(ctx.dataDir, image)).hash;
    } catch (err) {
      exclusion = 'undecodable';
      error = err instanceof ImagingError ? err.reason : describeThrown(err);
    }
  }
  const place = rasterPlacement(f.path, f.root, ctx.labelsFromFolders, ctx.patientOf?.(f.path));
  const studyUid = `raster:${place.studyKey}`;
  return {
    kind: 'record',
    error,
    record: {
      patient: { key: place.patientKey },
      study: { uid: studyUid },
      series: { uid: `${studyUid}:series` },
      image: {
        sopUid,
        contentHash: hash,
        sourcePath: f.path,
        fileKind: kind,
        rows: size.height,
        cols: size.width,
        bitsStored: 8,
        frames: 1,
        renderingHash,
        exclusion,
        warnings: [],
        referenceLabel: place.label,
        labelSource: place.label ? 'folder' : undefined,
      },
    },
  };
}

/**
 * The header problems of a catalogued DICOM file, read again from disk (a copy from an earlier
 * import that another file now contests); null when it is gone or no longer parses.
 */
export async function catalogedFileProblems(file: string): Promise<string[] | null> {
  try {
    const data = new Uint8Array(await fs.promises.readFile(file));
    const kind = sniffBytes(data.subarray(0, SNIFF_BYTES));
    if (kind !== 'dicom' && kind !== 'dicom-raw') return null;
    const ds = await readDicomDataset(data, file, { raw: kind === 'dicom-raw' });
    return headerProblems(ds, readDicomTags(ds));
  } catch {
    return null;
  }
}
