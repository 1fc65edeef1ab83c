import { writeTransaction, type Catalog } from './openCatalog';
import type { Label } from '../../shared/labels';
import type { ExclusionReason, ImportSummary, WarningCode } from '../../shared/import';

/** Everything import writes for one image: its patient, study, series and the image itself. */
export interface ImageRecord {
  patient: { key: string; name?: string; sex?: string; birthDate?: string; age?: string };
  study: { uid: string; date?: string; accession?: string; description?: string };
  series: { uid: string; modality?: string; bodyPart?: string; viewPosition?: string; manufacturer?: string };
  image: {
    sopUid: string;
    contentHash: string;
    sourcePath: string;
    fileKind: 'dicom' | 'jpeg' | 'png';
    transferSyntax?: string;
    photometric?: string;
    rows?: number;
    cols?: number;
    bitsStored?: number;
    pixelSpacing?: string;
    frames?: number;
    renderingHash: string | null;
    exclusion: ExclusionReason | null;
    warnings: WarningCode[];
    referenceLabel?: Label;
    labelSource?: string;
    tagsJson?: string;
  };
}

/** Prepared statements for one catalog connection; build once per import. */
export function importStatements(db: Catalog) {
  const upsertPatient = db.prepare(
    `INSERT INTO patients (patient_key, name, sex, birth_date, age) VALUES (@key, @name, @sex, @birthDate, @age)
     ON CONFLICT(patient_key) DO UPDATE SET
       name = coalesce(patients.name, excluded.name), sex = coalesce(patients.sex, excluded.sex),
       birth_date = coalesce(patients.birth_date, excluded.birth_date), age = coalesce(patients.age, excluded.age)
     RETURNING id`,
  );
  const upsertStudy = db.prepare(
    `INSERT INTO studies (patient_id, study_uid, study_date, accession, description) VALUES (@patientId, @uid, @date, @accession, @description)
     ON CONFLICT(study_uid) DO UPDATE SET study_date = coalesce(studies.study_date, excluded.study_date)
     RETURNING id`,
  );
  const upsertSeries = db.prepare(
    `INSERT INTO series (study_id, series_uid, modality, body_part, view_position, manufacturer)
     VALUES (@studyId, @uid, @modality, @bodyPart, @viewPosition, @manufacturer)
     ON CONFLICT(series_uid) DO UPDATE SET modality = coalesce(series.modality, excluded.modality)
     RETURNING id`,
  );
  const upsertImage = `INSERT INTO images (series_id, sop_uid, content_hash, source_path, file_kind, transfer_syntax, photometric, rows, cols,
       bits_stored, pixel_spacing, frames, rendering_hash, status, exclusion_reason, warnings, reference_label, label_source, tags_json)
     VALUES (@seriesId, @sopUid, @contentHash, @sourcePath, @fileKind, @transferSyntax, @photometric, @rows, @cols,
       @bitsStored, @pixelSpacing, @frames, @renderingHash, @status, @exclusion, @warnings, @referenceLabel, @labelSource, @tagsJson)
     ON CONFLICT(sop_uid) DO UPDATE SET
       series_id = excluded.series_id, content_hash = excluded.content_hash, source_path = excluded.source_path,
       file_kind = excluded.file_kind, transfer_syntax = excluded.transfer_syntax, photometric = excluded.photometric,
       rows = excluded.rows, cols = excluded.cols, bits_stored = excluded.bits_stored, pixel_spacing = excluded.pixel_spacing,
       frames = excluded.frames, rendering_hash = excluded.rendering_hash, status = excluded.status,
       exclusion_reason = excluded.exclusion_reason, warnings = excluded.warnings,
       reference_label = coalesce(images.reference_label, excluded.reference_label),
       label_source = coalesce(images.label_source, excluded.label_source), tags_json = excluded.tags_json`;
  // Only a copy that decodes replaces one that did not (a truncated transfer, then the full file).
  const insertImage = db.prepare(`${upsertImage} WHERE images.exclusion_reason = 'undecodable' AND excluded.exclusion_reason IS NOT 'undecodable'`);
  // A clean file replaces a damaged copy that claimed its SOP Instance UID first (importRun decides).
  const replaceImage = db.prepare(upsertImage);
  const findBySop = db.prepare('SELECT id, source_path, exclusion_reason, content_hash FROM images WHERE sop_uid = ?');
  const updatePath = db.prepare('UPDATE images SET source_path = ? WHERE id = ?');
  const insertError = db.prepare('INSERT INTO import_errors (import_id, path, reason) VALUES (?, ?, ?)');

  const n = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

  return {
    findBySop(sopUid: string): { id: number; source_path: string; exclusion_reason: string | null; content_hash: string } | undefined {
      return findBySop.get(sopUid) as { id: number; source_path: string; exclusion_reason: string | null; content_hash: string } | undefined;
    },
    updatePath(id: number, path: string): void {
      updatePath.run(path, id);
    },
    addError(importId: number, path: string, reason: string): void {
      insertError.run(importId, path, reason);
    },
    /**
     * Inserts the image and whatever of its hierarchy is new; returns false if the SOP UID was
     * already there, unless the catalogued copy was undecodable and this one is not: it replaces it.
     * With `replace`, it replaces the catalogued image whatever it was.
     */
    insert(r: ImageRecord, replace = false): boolean {
      const p = r.patient;
      const patientId = (upsertPatient.get({ key: p.key, name: n(p.name), sex: n(p.sex), birthDate: n(p.birthDate), age: n(p.age) }) as { id: number }).id;
      const s = r.study;
      const studyId = (
        upsertStudy.get({ patientId, uid: s.uid, date: n(s.date), accession: n(s.accession), description: n(s.description) }) as { id: number }
      ).id;
      const se = r.series;
      const seriesId = (
        upsertSeries.get({
          studyId,
          uid: se.uid,
          modality: n(se.modality),
          bodyPart: n(se.bodyPart),
          viewPosition: n(se.viewPosition),
          manufacturer: n(se.manufacturer),
        }) as { id: number }
      ).id;
      const i = r.image;
      const res = (replace ? replaceImage : insertImage).run({
        seriesId,
        sopUid: i.sopUid,
        contentHash: i.contentHash,
        sourcePath: i.sourcePath,
        fileKind: i.fileKind,
        transferSyntax: n(i.transferSyntax),
        photometric: n(i.photometric),
        rows: n(i.rows),
        cols: n(i.cols),
        bitsStored: n(i.bitsStored),
        pixelSpacing: n(i.pixelSpacing),
        frames: n(i.frames),
        renderingHash: i.renderingHash,
        status: i.exclusion ? 'excluded' : 'eligible',
        exclusion: i.exclusion,
        warnings: JSON.stringify(i.warnings),
        referenceLabel: n(i.referenceLabel),
        labelSource: n(i.labelSource),
        tagsJson: n(i.tagsJson),
      });
      return res.changes > 0;
    },
  };
}

/** Is the process that owns an import row gone? Its own process runs one import at a time, so a row of this process is left over. */
function ownerIsGone(pid: number | null): boolean {
  if (pid === null || pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    // EPERM: the process exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Starts an import row owned by this process. Rows left 'running' by a process that died are
 * closed as failed first; a running import of another live process (a second `cxr import`) is
 * left alone.
 */
export function createImport(db: Catalog, roots: string[]): number {
  return writeTransaction(db, () => {
    const running = db.prepare(`SELECT id, owner_pid FROM imports WHERE status = 'running'`).all() as { id: number; owner_pid: number | null }[];
    const close = db.prepare(
      `UPDATE imports SET status = 'failed', finished_at = strftime('%Y-%m-%dT%H:%M:%fZ','now'),
         summary_json = coalesce(summary_json, '{"interrupted":true}') WHERE id = ?`,
    );
    for (const r of running) if (ownerIsGone(r.owner_pid)) close.run(r.id);
    return Number(db.prepare('INSERT INTO imports (roots_json, owner_pid) VALUES (?, ?)').run(JSON.stringify(roots), process.pid).lastInsertRowid);
  })();
}

export function finishImport(db: Catalog, importId: number, summary: ImportSummary): void {
  db.prepare(
    `UPDATE imports SET status = ?, finished_at = strftime('%Y-%m-%dT%H:%M:%fZ','now'), summary_json = ? WHERE id = ?`,
  ).run(summary.status, JSON.stringify(summary), importId);
}

export function lastImportSummary(db: Catalog): ImportSummary | null {
  const row = db
    .prepare(`SELECT summary_json FROM imports WHERE status != 'running' AND summary_json IS NOT NULL ORDER BY id DESC LIMIT 1`)
    .get() as { summary_json: string } | undefined;
  if (!row) return null;
  const parsed = JSON.parse(row.summary_json) as Partial<ImportSummary>;
  return typeof parsed.importId === 'number' ? (parsed as ImportSummary) : null;
}

/** An import's status as recorded ('running' until it finishes); null for an unknown id. */
export function importRunStatus(db: Catalog, importId: number): ImportSummary['status'] | 'running' | null {
  return (db.prepare('SELECT status FROM imports WHERE id = ?').pluck().get(importId) as ImportSummary['status'] | 'running' | undefined) ?? null;
}
