import fs from 'node:fs';
import path from 'node:path';
import { splitCsvLine } from './csvLine';
import { knownLabelErrors, type Exclusion } from './exclusions';
import { LABELS, labelFromFolderName, type Label } from '../../shared/labels';
import { isInsideFolder } from '../access/folderAccess';

/** One labelled image on disk. `source` names the data set it came from (per-source metrics). */
export interface Sample {
  file: string;
  label: Label;
  source: string;
}

export class DatasetError extends Error {
  override name = 'DatasetError';
  constructor(where: string, reason: string) {
    super(`${where}: ${reason}`);
  }
}

const IMAGE_EXT = /\.(jpe?g|png|dcm|dicom)$/i;

/**
 * Lists a `--data` argument: either a folder with `<CLASS>/**` below it, a folder holding a
 * `manifest.csv`, or a manifest.csv itself (`file,label[,split]`, paths relative to it). With a
 * manifest, `split` keeps only that split's rows; a folder layout may have `<split>/<CLASS>` too.
 */
export interface ListOptions {
  splitOptional?: boolean;
  /** Keep the known label errors (resources/training/exclusions.csv) instead of leaving them out. */
  keepLabelErrors?: boolean;
  /** Receives each sample left out as a known label error. */
  onExcluded?: (sample: Sample, why: Exclusion) => void;
}

export function listSamples(dataArg: string, split?: string, opts: ListOptions = {}): Sample[] {
  const all = listAll(dataArg, split, opts);
  if (opts.keepLabelErrors) return all;
  const errors = knownLabelErrors();
  const root = path.resolve(dataArg);
  const base = fs.statSync(root).isFile() ? path.dirname(root) : root;
  return all.filter((s) => {
    const why = errors.get(`${s.source}/${path.relative(base, s.file).split(path.sep).join('/')}`);
    if (why) opts.onExcluded?.(s, why);
    return !why;
  });
}

function listAll(dataArg: string, split: string | undefined, opts: ListOptions): Sample[] {
  const abs = path.resolve(dataArg);
  if (!fs.existsSync(abs)) throw new DatasetError(abs, 'does not exist');
  const stat = fs.statSync(abs);
  if (stat.isFile()) return fromManifest(abs, split, opts.splitOptional ?? false);
  const manifest = path.join(abs, 'manifest.csv');
  if (fs.existsSync(manifest)) return fromManifest(manifest, split, opts.splitOptional ?? false);
  return fromFolders(abs, split);
}

function fromManifest(file: string, split: string | undefined, splitOptional: boolean): Sample[] {
  const dir = path.dirname(file);
  const source = path.basename(dir);
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = splitCsvLine(lines[0] ?? '').map((h) => h.trim().toLowerCase());
  const fi = header.indexOf('file');
  const li = header.indexOf('label');
  const si = header.indexOf('split');
  if (fi < 0 || li < 0) throw new DatasetError(file, `needs file and label columns, has ${header.join(',')}`);
  if (split && si < 0 && !splitOptional) throw new DatasetError(file, `--split ${split} given but the manifest has no split column`);
  if (si < 0) split = undefined;
  const out: Sample[] = [];
  for (let r = 1; r < lines.length; r++) {
    const cols = splitCsvLine(lines[r]!);
    if (split && cols[si] !== split) continue;
    const label = labelFromFolderName(cols[li] ?? '');
    if (!label) throw new DatasetError(`${file}:${r + 1}`, `unknown label "${cols[li]}" (expected ${LABELS.join('/')})`);
    const named = cols[fi] ?? '';
    const abs = path.resolve(dir, named);
    // Paths are relative to the manifest and stay in its folder (also through symlinks): never /etc/passwd.
    if (named.includes('\0') || path.isAbsolute(named) || /^[a-zA-Z]:|^[\\/]{2}/.test(named) || !isInsideFolder(dir, abs)) {
      throw new DatasetError(`${file}:${r + 1}`, `file "${named.slice(0, 200)}" lies outside the manifest's folder`);
    }
    out.push({ file: abs, label, source });
  }
  return out;
}

function fromFolders(root: string, split: string | undefined): Sample[] {
  const base = split && fs.existsSync(path.join(root, split)) ? path.join(root, split) : root;
  const out: Sample[] = [];
  const source = path.basename(root);
  const walk = (dir: string, label: Label | undefined): void => {
    for (const ent of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, ent.name);
      // Follow links: a labelled folder is often assembled from links to the originals.
      const st = ent.isSymbolicLink() ? fs.statSync(p, { throwIfNoEntry: false }) : ent;
      if (!st) continue;
      if (st.isDirectory()) walk(p, label ?? labelFromFolderName(ent.name));
      else if (label && st.isFile() && IMAGE_EXT.test(ent.name)) out.push({ file: p, label, source });
    }
  };
  walk(base, undefined);
  if (out.length === 0) throw new DatasetError(base, 'no images under COVID19/NORMAL/PNEUMONIA folders');
  return out;
}

/** Per-class counts, in LABELS order. */
export function classCounts(samples: readonly { label: Label }[]): Record<Label, number> {
  const c = { COVID19: 0, NORMAL: 0, PNEUMONIA: 0 } as Record<Label, number>;
  for (const s of samples) c[s.label]++;
  return c;
}

/** Several `--data` arguments combined (each keeps its own source name). */
export function listSamplesFrom(dataArgs: readonly string[], split?: string, opts: ListOptions = {}): Sample[] {
  return dataArgs.flatMap((d) => listSamples(d, split, opts));
}
