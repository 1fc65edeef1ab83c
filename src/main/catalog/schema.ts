/**
 * Catalog migrations, applied in order and tracked with PRAGMA user_version.
 * Append a new entry to change the schema; never edit one that has shipped.
 */
export const migrations: readonly string[] = [
  /* 1: the study catalog, predictions, reviews, model registry and audit log */ `
  CREATE TABLE patients (
    id           INTEGER PRIMARY KEY,
    patient_key  TEXT NOT NULL UNIQUE,      -- DICOM PatientID, or the folder/stem for raster files
    name         TEXT,
    sex          TEXT,
    birth_date   TEXT,
    age          TEXT,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
  );
  CREATE TABLE studies (
    id           INTEGER PRIMARY KEY,
    patient_id   INTEGER NOT NULL REFERENCES patients(id),
    study_uid    TEXT NOT NULL UNIQUE,
    study_date   TEXT,
    accession    TEXT,
    description  TEXT
  );
  CREATE INDEX studies_patient ON studies(patient_id);
  CREATE TABLE series (
    id            INTEGER PRIMARY KEY,
    study_id      INTEGER NOT NULL REFERENCES studies(id),
    series_uid    TEXT NOT NULL UNIQUE,
    modality      TEXT,
    body_part     TEXT,
    view_position TEXT,
    manufacturer  TEXT
  );
  CREATE INDEX series_study ON series(study_id);
  CREATE TABLE images (
    id               INTEGER PRIMARY KEY,
    series_id        INTEGER NOT NULL REFERENCES series(id),
    sop_uid          TEXT NOT NULL UNIQUE,  -- SOPInstanceUID, or 'sha256:<hash>' for raster files
    content_hash     TEXT NOT NULL,         -- sha256 of the original file
    source_path      TEXT NOT NULL,         -- the original file; never modified
    file_kind        TEXT NOT NULL CHECK (file_kind IN ('dicom','jpeg','png')),
    transfer_syntax  TEXT,
    photometric      TEXT,
    rows             INTEGER,
    cols             INTEGER,
    bits_stored      INTEGER,
    pixel_spacing    TEXT,
    frames           INTEGER,
    rendering_hash   TEXT,                  -- sha256 of the normalised 8-bit rendering (file name in the store)
    status           TEXT NOT NULL CHECK (status IN ('eligible','excluded')),
    exclusion_reason TEXT,
    warnings         TEXT NOT NULL DEFAULT '[]',   -- JSON array of warning codes
    reference_label  TEXT CHECK (reference_label IN ('COVID19','NORMAL','PNEUMONIA')),
    label_source     TEXT,
    tags_json        TEXT,                  -- the DICOM tag browser's data
    imported_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
  );
  CREATE INDEX images_series ON images(series_id);
  CREATE INDEX images_hash ON images(content_hash);
  CREATE INDEX images_status ON images(status);
  CREATE TABLE imports (
    id           INTEGER PRIMARY KEY,
    roots_json   TEXT NOT NULL,
    started_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    finished_at  TEXT,
    status       TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running','completed','cancelled','failed')),
    summary_json TEXT
  );
  CREATE TABLE import_errors (
    id         INTEGER PRIMARY KEY,
    import_id  INTEGER REFERENCES imports(id),
    path       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
  );
  CREATE TABLE models (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    version      TEXT NOT NULL,
    architecture TEXT NOT NULL,
    path         TEXT NOT NULL,
    card_json    TEXT NOT NULL,
    parent_id    TEXT REFERENCES models(id),
    is_active    INTEGER NOT NULL DEFAULT 0 CHECK (is_active IN (0,1)),
    is_builtin   INTEGER NOT NULL DEFAULT 0 CHECK (is_builtin IN (0,1)),
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
  );
  CREATE UNIQUE INDEX models_one_active ON models(is_active) WHERE is_active = 1;
  CREATE TABLE predictions (
    id             INTEGER PRIMARY KEY,
    image_id       INTEGER NOT NULL REFERENCES images(id),
    model_id       TEXT NOT NULL REFERENCES models(id),
    predicted      TEXT NOT NULL CHECK (predicted IN ('COVID19','NORMAL','PNEUMONIA')),
    p_covid        REAL NOT NULL,
    p_normal       REAL NOT NULL,
    p_pneumonia    REAL NOT NULL,
    band_json      TEXT NOT NULL,          -- {COVID19:{lo,hi},...}
    conformal_set  TEXT NOT NULL,          -- JSON array of labels
    quality_json   TEXT NOT NULL DEFAULT '[]',
    ood_score      REAL,
    method         TEXT NOT NULL,
    n_samples      INTEGER NOT NULL,
    duration_ms    REAL NOT NULL,
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    UNIQUE (image_id, model_id)
  );
  CREATE INDEX predictions_model_covid ON predictions(model_id, p_covid DESC);
  CREATE TABLE reviews (
    id                INTEGER PRIMARY KEY,
    image_id          INTEGER NOT NULL REFERENCES images(id),
    reviewer          TEXT NOT NULL,
    label             TEXT NOT NULL CHECK (label IN ('COVID19','NORMAL','PNEUMONIA')),
    agrees_with_model INTEGER,
    model_id          TEXT REFERENCES models(id),
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
  );
  CREATE INDEX reviews_image ON reviews(image_id, id DESC);
  CREATE TABLE training_runs (
    id            INTEGER PRIMARY KEY,
    status        TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running','completed','failed','cancelled')),
    config_json   TEXT NOT NULL,
    model_id      TEXT REFERENCES models(id),
    parent_id     TEXT REFERENCES models(id),
    metrics_json  TEXT,
    error         TEXT,
    started_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    finished_at   TEXT
  );
  CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT,
    entity_id TEXT,
    detail_json TEXT
  );
  CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  `,
];
