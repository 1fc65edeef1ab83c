/**
 * The PACS tables: the settings row (connections, receiver) and `pacs_sends`, one row per object
 * sent back (a Structured Report or a heatmap Secondary Capture), which is both the audit of what
 * left the workstation and the viewer's "sent to PACS" history.
 */
import type { Catalog } from './openCatalog';
import { getSetting, setSetting } from './settings';
import type { Label } from '../../shared/labels';
import type { PacsSendRecord } from '../../shared/pacs';

export const PACS_SETTINGS_KEY = 'pacs';

export function readPacsSettingsJson(db: Catalog): string | undefined {
  return getSetting(db, PACS_SETTINGS_KEY);
}

export function writePacsSettingsJson(db: Catalog, json: string): void {
  setSetting(db, PACS_SETTINGS_KEY, json);
}

/** What a Structured Report needs about one catalogued image and its current prediction. */
export interface ResultSource {
  imageId: number;
  sourcePath: string;
  fileKind: 'dicom' | 'jpeg' | 'png';
  sopUid: string;
  patientKey: string;
  patientName: string | null;
  patientSex: string | null;
  patientBirthDate: string | null;
  studyUid: string;
  studyDate: string | null;
  accession: string | null;
  seriesUid: string;
  modality: string | null;
  tagsJson: string | null;
  prediction: {
    id: number;
    modelId: string;
    predicted: Label;
    probs: Record<Label, number>;
    band: Partial<Record<Label, { lo: number; hi: number }>>;
    set: Label[];
    quality: string[];
    createdAt: string;
  } | null;
  model: { name: string; version: string; cardJson: string } | null;
  review: { id: number; reviewer: string; label: Label; agreesWithModel: boolean | null; at: string } | null;
}

interface RawSource {
  image_id: number;
  source_path: string;
  file_kind: 'dicom' | 'jpeg' | 'png';
  sop_uid: string;
  tags_json: string | null;
  patient_key: string;
  patient_name: string | null;
  sex: string | null;
  birth_date: string | null;
  study_uid: string;
  study_date: string | null;
  accession: string | null;
  series_uid: string;
  modality: string | null;
  prediction_id: number | null;
  model_id: string | null;
  predicted: Label | null;
  p_covid: number | null;
  p_normal: number | null;
  p_pneumonia: number | null;
  band_json: string | null;
  conformal_set: string | null;
  quality_json: string | null;
  prediction_at: string | null;
  model_name: string | null;
  model_version: string | null;
  card_json: string | null;
  review_id: number | null;
  reviewer: string | null;
  review_label: Label | null;
  agrees_with_model: number | null;
  review_at: string | null;
}

const parse = <T>(json: string | null, fallback: T): T => {
  try {
    return json ? (JSON.parse(json) as T) : fallback;
  } catch {
    return fallback;
  }
};

/** The image with the worklist's current prediction (the active model's, else the newest) and latest review. */
export function resultSource(db: Catalog, imageId: number): ResultSource | null {
  const r = db
    .prepare(
      `SELECT i.id AS image_id, i.source_path, i.file_kind, i.sop_uid, i.tags_json,
              p.patient_key, p.name AS patient_name, p.sex, p.birth_date,
              st.study_uid, st.study_date, st.accession, se.series_uid, se.modality,
              pr.id AS prediction_id, pr.model_id, pr.predicted, pr.p_covid, pr.p_normal, pr.p_pneumonia, pr.band_json,
              pr.conformal_set, pr.quality_json, pr.created_at AS prediction_at,
              m.name AS model_name, m.version AS model_version, m.card_json,
              rv.id AS review_id, rv.reviewer, rv.label AS review_label, rv.agrees_with_model, rv.created_at AS review_at
       FROM images i JOIN series se ON se.id = i.series_id JOIN studies st ON st.id = se.study_id
       JOIN patients p ON p.id = st.patient_id JOIN worklist_entries w ON w.image_id = i.id
       LEFT JOIN predictions pr ON pr.id = w.prediction_id LEFT JOIN models m ON m.id = pr.model_id
       LEFT JOIN reviews rv ON rv.id = w.review_id
       WHERE i.id = ?`,
    )
    .get(imageId) as RawSource | undefined;
  if (!r) return null;
  return {
    imageId: r.image_id,
    sourcePath: r.source_path,
    fileKind: r.file_kind,
    sopUid: r.sop_uid,
    patientKey: r.patient_key,
    patientName: r.patient_name,
    patientSex: r.sex,
    patientBirthDate: r.birth_date,
    studyUid: r.study_uid,
    studyDate: r.study_date,
    accession: r.accession,
    seriesUid: r.series_uid,
    modality: r.modality,
    tagsJson: r.tags_json,
    prediction:
      r.prediction_id === null
        ? null
        : {
            id: r.prediction_id,
            modelId: r.model_id!,
            predicted: r.predicted!,
            probs: { COVID19: r.p_covid!, NORMAL: r.p_normal!, PNEUMONIA: r.p_pneumonia! },
            band: parse(r.band_json, {}),
            set: parse<Label[]>(r.conformal_set, []),
            quality: parse<unknown[]>(r.quality_json, []).map(String),
            createdAt: r.prediction_at!,
          },
    model: r.model_name === null ? null : { name: r.model_name, version: r.model_version ?? '', cardJson: r.card_json ?? '{}' },
    review:
      r.review_id === null
        ? null
        : { id: r.review_id, reviewer: r.reviewer!, label: r.review_label!, agreesWithModel: r.agrees_with_model === null ? null : r.agrees_with_model === 1, at: r.review_at! },
  };
}

/** Images with a review (the worklist's "send all reviewed"), oldest first. */
export function reviewedImageIds(db: Catalog): number[] {
  return (db.prepare('SELECT image_id FROM worklist_entries WHERE reviewed = 1 ORDER BY image_id').all() as { image_id: number }[]).map((r) => r.image_id);
}

/** Catalogued images of a study, by Study Instance UID. */
export function studyImageIds(db: Catalog, studyUid: string): number[] {
  return (
    db
      .prepare('SELECT i.id FROM images i JOIN series se ON se.id = i.series_id JOIN studies st ON st.id = se.study_id WHERE st.study_uid = ? ORDER BY i.id')
      .all(studyUid) as { id: number }[]
  ).map((r) => r.id);
}

export interface SendRow {
  imageId: number;
  predictionId: number | null;
  modelId: string | null;
  kind: 'sr' | 'sc';
  sopClassUid: string;
  sopInstanceUid: string;
  studyUid: string;
  via: 'dicomweb' | 'dimse';
  destination: string;
  status: 'sent' | 'failed';
  error: string | null;
}

export function recordSend(db: Catalog, r: SendRow): void {
  db.prepare(
    `INSERT INTO pacs_sends (image_id, prediction_id, model_id, kind, sop_class_uid, sop_instance_uid, study_uid, via, destination, status, error)
     VALUES (@imageId, @predictionId, @modelId, @kind, @sopClassUid, @sopInstanceUid, @studyUid, @via, @destination, @status, @error)`,
  ).run(r);
}

export function sendHistory(db: Catalog, imageId: number): PacsSendRecord[] {
  return (
    db
      .prepare('SELECT image_id, kind, sop_instance_uid, via, destination, status, error, at FROM pacs_sends WHERE image_id = ? ORDER BY id DESC LIMIT 50')
      .all(imageId) as { image_id: number; kind: 'sr' | 'sc'; sop_instance_uid: string; via: 'dicomweb' | 'dimse'; destination: string; status: 'sent' | 'failed'; error: string | null; at: string }[]
  ).map((r) => ({ imageId: r.image_id, kind: r.kind, sopInstanceUID: r.sop_instance_uid, via: r.via, destination: r.destination, status: r.status, error: r.error, at: r.at }));
}
