import fs from 'node:fs';
import path from 'node:path';
import type { ImportFileError } from '../../shared/import';
import { splitCsvLine } from '../datasets/csvLine';
import type { ScannedFile } from './scan';

/** A manifest larger than this is not read (a published data set's is a few MB). */
const MAX_MANIFEST_BYTES = 64 << 20;

/**
 * Patient ids for JPEG/PNG files from the `manifest.csv` files found under the import roots: a
 * `file` column (relative to the manifest's folder) and a `patient_id` column, the layout of cxr3
 * and of most published chest X-ray sets. Without one a raster file's patient comes from its
 * folders or its own name, and two films of one patient can land on both sides of a retraining
 * split. A CSV without those columns is not a manifest and is passed over.
 */
export function readManifestPatients(files: readonly ScannedFile[]): { patients: Map<string, string>; problems: ImportFileError[] } {
  const patients = new Map<string, string>();
  const problems: ImportFileError[] = [];
  for (const f of files) {
    if (path.basename(f.path).toLowerCase() !== 'manifest.csv') continue;
    if (f.size > MAX_MANIFEST_BYTES) {
      problems.push({ file: f.path, reason: `manifest not read: ${f.size} bytes, over ${MAX_MANIFEST_BYTES}` });
      continue;
    }
    let text: string;
    try {
      text = fs.readFileSync(f.path, 'utf8');
    } catch (err) {
      problems.push({ file: f.path, reason: `manifest unreadable: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
      continue;
    }
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
    const header = splitCsvLine(lines[0] ?? '').map((h) => h.trim().toLowerCase());
    const fi = header.indexOf('file');
    const pi = header.indexOf('patient_id');
    if (fi < 0 || pi < 0) continue;
    const dir = path.dirname(f.path);
    for (let r = 1; r < lines.length; r++) {
      const cols = splitCsvLine(lines[r]!);
      const file = cols[fi]?.trim();
      const patient = cols[pi]?.trim();
      if (file && patient) patients.set(path.resolve(dir, file), patient);
    }
  }
  return { patients, problems };
}
