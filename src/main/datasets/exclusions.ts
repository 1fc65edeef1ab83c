import fs from 'node:fs';
import path from 'node:path';
import { findResource } from '../resourceFile';
import { splitCsvLine } from './csvLine';

/**
 * Known label errors in the shared training sets, kept in the repo with a reason per file
 * (resources/training/exclusions.csv) rather than trained on silently. Keyed by data set name
 * (the folder: cxr3, adult, nih) and the file relative to it, as the manifests write it.
 */
export interface Exclusion {
  dataset: string;
  file: string;
  reason: string;
}

/** The list beside the source tree, the electron-vite build or a packaged app's resources. */
const exclusionsFile = (): string | null => findResource(path.join('training', 'exclusions.csv'));

let cached: Map<string, Exclusion> | null = null;

/** The known label errors by `<dataset>/<file>`; empty where the list is not shipped. */
export function knownLabelErrors(): Map<string, Exclusion> {
  if (cached) return cached;
  const file = exclusionsFile();
  cached = new Map();
  if (!file) return cached;
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  for (const line of lines.slice(1)) {
    const [dataset, rel, reason] = splitCsvLine(line);
    if (dataset && rel) cached.set(`${dataset}/${rel}`, { dataset, file: rel, reason: reason ?? '' });
  }
  return cached;
}
