/**
 * Paths as they may be shown in error rows and CLI output. A JPEG/PNG import takes its patient
 * from the first folder level under the root (class folders aside when labels come from folders),
 * and that folder is often named after the patient: it is shown as `<patient>`, as a DICOM file's
 * identifiers are never shown. DICOM paths and files outside every root are left as they are.
 */
import path from 'node:path';
import { labelFromFolderName } from '../../shared/labels';

export const PATIENT_MASK = '<patient>';
const RASTER = /\.(jpe?g|png)$/i;

export function maskPatientFolder(file: string, roots: readonly string[], labelsFromFolders: boolean): string {
  if (!RASTER.test(file)) return file;
  const abs = path.resolve(file);
  // The deepest root holding the file is the one its placement was computed from.
  const root = roots
    .map((r) => path.resolve(r))
    .filter((r) => {
      const rel = path.relative(r, abs);
      return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
    })
    .sort((a, b) => b.length - a.length)[0];
  if (!root) return file;
  const parts = path.relative(root, abs).split(path.sep);
  const dirs = parts.length - 1;
  for (let i = 0; i < dirs; i++) {
    if (labelsFromFolders && labelFromFolderName(parts[i]!) !== undefined) continue;
    parts[i] = PATIENT_MASK;
    break;
  }
  return path.join(root, ...parts);
}
