import path from 'node:path';
import type { Catalog } from '../catalog/openCatalog';
import { renderingPath } from '../renderings/renderingStore';
import { listSamples } from './dataset';
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

export class TrainingDataError extends Error {
  override name = 'TrainingDataError';
  constructor(where: string, reason: string) {
    super(`training/trainingData.ts: ${where}: ${reason}`);
  }
}

interface Row {
  id: number;
  rendering_hash: string;
  source_path: string;
  patient_key: string;
  review_label: Label | null;
  reference_label: Label | null;
}

/**
 * Every eligible catalogued image with a label: its latest review, else the reference label its
 * folder import gave it. The rendering (windowed, 8-bit) is what the model reads, the same pixels
 * inference reads, so DICOM and JPEG train alike.
 */
export function catalogLabels(db: Catalog, dataDir: string): LabelledImage[] {
  const rows = db
    .prepare(
      `SELECT i.id, i.rendering_hash, i.source_path, p.patient_key, i.reference_label,
              (SELECT r.label FROM reviews r WHERE r.image_id = i.id ORDER BY r.id DESC LIMIT 1) AS review_label
       FROM images i
       JOIN series s ON s.id = i.series_id JOIN studies st ON st.id = s.study_id JOIN patients p ON p.id = st.patient_id
       WHERE i.status = 'eligible' AND i.rendering_hash IS NOT NULL
         AND (i.reference_label IS NOT NULL OR EXISTS (SELECT 1 FROM reviews r WHERE r.image_id = i.id))
       ORDER BY i.id`,
    )
    .all() as Row[];
  return rows.map((r) => ({
    imageId: r.id,
    file: renderingPath(dataDir, r.rendering_hash),
    label: (r.review_label ?? r.reference_label)!,
    patientKey: `catalog:${r.patient_key}`,
    labelSource: r.review_label ? 'review' : 'reference',
  }));
}

/**
 * Images from labelled folders (`<CLASS>/**`) the user added in the dialog. A file the catalog
 * already holds is skipped: the catalog's label (a review may have corrected it) wins. Without
 * patient metadata, each file stem is its own patient.
 */
export function folderLabels(folders: readonly string[], catalogSourcePaths: ReadonlySet<string>): LabelledImage[] {
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
  const paths = new Set(
    (services.catalog.prepare('SELECT source_path FROM images').all() as { source_path: string }[]).map((r) => path.resolve(r.source_path)),
  );
  return [...fromCatalog, ...folderLabels(folders, paths)];
}
