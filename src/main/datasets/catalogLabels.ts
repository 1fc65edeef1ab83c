import path from 'node:path';
import type { Catalog } from '../catalog/openCatalog';
import { renderingPath } from '../renderings/renderingStore';
import { listSamples } from './dataset';
import { labelledImageRows, sourcePaths } from '../catalog/images';
import type { Label } from '../../shared/labels';

/** One image with the label it trains on. */
export interface LabelledImage {
  /** Catalog image id; null for an image from an extra labelled folder. */
  imageId: number | null;
  /** What the model reads: the catalog's normalised rendering, or the folder's file. */
  file: string;
  label: Label;
  /** Images of one patient always land in one split. */
  patientKey: string;
  labelSource: 'review' | 'reference' | 'folder';
}

/**
 * Every eligible catalogued image with a label: its latest review, else the reference label its
 * folder import gave it. The rendering (windowed, 8-bit) is what the model reads, the same pixels
 * inference reads, so DICOM and JPEG train alike.
 */
export function catalogLabels(db: Catalog, dataDir: string): LabelledImage[] {
  return labelledImageRows(db).map((r) => ({
    imageId: r.id,
    file: renderingPath(dataDir, r.renderingHash),
    label: (r.reviewLabel ?? r.referenceLabel)!,
    patientKey: `catalog:${r.patientKey}`,
    labelSource: r.reviewLabel ? 'review' : 'reference',
  }));
}

/**
 * Images from labelled folders (`<CLASS>/**`) the user added in the dialog. A file the catalog
 * already holds is skipped: the catalog's label (a review may have corrected it) wins. Without
 * patient metadata, each file stem is its own patient.
 */
function folderLabels(folders: readonly string[], catalogSourcePaths: ReadonlySet<string>): LabelledImage[] {
  const out: LabelledImage[] = [];
  for (const folder of folders) {
    for (const s of listSamples(folder)) {
      if (catalogSourcePaths.has(path.resolve(s.file))) continue;
      out.push({
        imageId: null,
        file: s.file,
        label: s.label,
        patientKey: `folder:${path.resolve(folder)}:${path.parse(s.file).name}`,
        labelSource: 'folder',
      });
    }
  }
  return out;
}

/** The catalog's labels plus any folders', deduplicated against the catalog. */
export function collectTrainingImages(
  services: { catalog: Catalog; dataDir: string },
  folders: readonly string[] = [],
): LabelledImage[] {
  const fromCatalog = catalogLabels(services.catalog, services.dataDir);
  if (folders.length === 0) return fromCatalog;
  const paths = new Set(sourcePaths(services.catalog).map((p) => path.resolve(p)));
  return [...fromCatalog, ...folderLabels(folders, paths)];
}
