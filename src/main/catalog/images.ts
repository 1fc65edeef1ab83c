/** The `images` table (with its series, study and patient where a query needs them). Import writes it: imports.ts. */
import type { Catalog } from './openCatalog';
import { CxrError } from '../../shared/errors';
import type { Label } from '../../shared/labels';
import type { ImageQuality } from '../confidence/quality';
import type { DicomTag } from '../../shared/image';

/** An `images` row as SQLite returns it. */
export interface ImageRow {
  id: number;
  series_id: number;
  source_path: string;
  file_kind: string;
  rendering_hash: string | null;
  transfer_syntax: string | null;
  photometric: string | null;
  rows: number | null;
  cols: number | null;
  bits_stored: number | null;
  pixel_spacing: string | null;
  frames: number | null;
  tags_json: string | null;
  content_hash: string;
  imported_at: string;
}

export function imageRow(db: Catalog, imageId: number): ImageRow {
  const row = db.prepare('SELECT * FROM images WHERE id = ?').get(imageId) as ImageRow | undefined;
  if (!row) throw new CxrError('NOT_FOUND', `no image ${imageId} in the catalog`);
  return row;
}

/** The tag browser's rows: the DICOM tags import stored, plus what the catalog knows of the file. */
export function imageTags(row: ImageRow): DicomTag[] {
  const tags: DicomTag[] = [];
  if (row.tags_json) {
    try {
      const parsed = JSON.parse(row.tags_json) as unknown;
      if (Array.isArray(parsed)) {
        for (const t of parsed as Record<string, unknown>[]) {
          tags.push({ tag: String(t.tag ?? ''), name: String(t.name ?? t.keyword ?? ''), value: String(t.value ?? '') });
        }
      } else if (parsed && typeof parsed === 'object') {
        for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
          if (v === undefined || v === null) continue;
          const tagLike = /^x?[0-9a-f]{8}$/i.test(k) ? `(${k.replace(/^x/i, '').slice(0, 4)},${k.replace(/^x/i, '').slice(4)})`.toUpperCase() : '';
          // camelCase keys ('studyDate') read as words ('Study date').
          const words = k.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().replace(/^./, (c) => c.toUpperCase());
          tags.push({ tag: tagLike, name: tagLike ? '' : words, value: typeof v === 'object' ? JSON.stringify(v) : String(v) });
        }
      }
    } catch {
      tags.push({ tag: '', name: 'tags', value: '(unreadable tag data)' });
    }
  }
  const file: [string, unknown][] = [
    ['File kind', row.file_kind],
    ['Transfer syntax', row.transfer_syntax],
    ['Photometric interpretation', row.photometric],
    ['Rows', row.rows],
    ['Columns', row.cols],
    ['Bits stored', row.bits_stored],
    ['Pixel spacing', row.pixel_spacing],
    ['Frames', row.frames],
    ['Content hash', row.content_hash],
    ['Imported', row.imported_at],
  ];
  for (const [name, v] of file) if (v !== null && v !== undefined) tags.push({ tag: '', name, value: String(v) });
  return tags;
}

/** Where an image's pixels are: its stored rendering's hash, else its original file. */
export function imageFile(db: Catalog, imageId: number): { id: number; renderingHash: string | null; fileKind: string; sourcePath: string } {
  const r = imageRow(db, imageId);
  return { id: r.id, renderingHash: r.rendering_hash, fileKind: r.file_kind, sourcePath: r.source_path };
}

/** Every image of the study a series belongs to, in order (at most 200). */
export function studyImageIds(db: Catalog, seriesId: number): number[] {
  return db
    .prepare(
      `SELECT i.id FROM images i JOIN series s ON s.id = i.series_id
       WHERE s.study_id = (SELECT study_id FROM series WHERE id = ?) ORDER BY s.id, i.id LIMIT 200`,
    )
    .pluck()
    .all(seriesId) as number[];
}

/** The hash of an image's stored rendering (its file name in the rendering store). */
export function renderingHashOf(db: Catalog, imageId: number): string {
  const row = db.prepare('SELECT rendering_hash FROM images WHERE id = ?').get(imageId) as { rendering_hash: string | null } | undefined;
  if (!row) throw new CxrError('NOT_FOUND', `image ${imageId}: no such image in the catalog`);
  if (!row.rendering_hash) throw new CxrError('NOT_FOUND', `image ${imageId}: the image has no rendering (it could not be decoded)`);
  return row.rendering_hash;
}

/** The screening fields of catalog images, by id (missing ids are absent from the map). */
export function readImageQualities(db: Catalog, ids: readonly number[]): Map<number, ImageQuality> {
  const out = new Map<number, ImageQuality>();
  const stmt = db.prepare('SELECT id, status, exclusion_reason, warnings FROM images WHERE id = ?');
  for (const id of ids) {
    const r = stmt.get(id) as { id: number; status: 'eligible' | 'excluded'; exclusion_reason: string | null; warnings: string } | undefined;
    if (r) out.set(id, { status: r.status, exclusionReason: r.exclusion_reason, warnings: JSON.parse(r.warnings || '[]') as string[] });
  }
  return out;
}

/** An eligible, rendered image with a label: its latest review's, and the reference label import gave it. */
export interface LabelledImageRow {
  id: number;
  renderingHash: string;
  patientKey: string;
  reviewLabel: Label | null;
  referenceLabel: Label | null;
}

/** Every eligible rendered image that has a review or a reference label, by id. */
export function labelledImageRows(db: Catalog): LabelledImageRow[] {
  return db
    .prepare(
      `SELECT i.id, i.rendering_hash AS renderingHash, p.patient_key AS patientKey, i.reference_label AS referenceLabel,
              (SELECT r.label FROM reviews r WHERE r.image_id = i.id ORDER BY r.id DESC LIMIT 1) AS reviewLabel
       FROM images i
       JOIN series s ON s.id = i.series_id JOIN studies st ON st.id = s.study_id JOIN patients p ON p.id = st.patient_id
       WHERE i.status = 'eligible' AND i.rendering_hash IS NOT NULL
         AND (i.reference_label IS NOT NULL OR EXISTS (SELECT 1 FROM reviews r WHERE r.image_id = i.id))
       ORDER BY i.id`,
    )
    .all() as LabelledImageRow[];
}

/** The original file of every catalogued image. */
export function sourcePaths(db: Catalog): string[] {
  return db.prepare('SELECT source_path FROM images').pluck().all() as string[];
}
