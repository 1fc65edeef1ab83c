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
  /* worklist: one row per image with its current prediction and latest review, kept by triggers,
     so that paging and sorting 100,000 images is an index walk instead of a join-and-sort. */ `
  CREATE TABLE worklist_entries (
    image_id      INTEGER PRIMARY KEY REFERENCES images(id),
    patient_key   TEXT NOT NULL,
    study_date    TEXT,
    status        TEXT NOT NULL,
    search_text   TEXT NOT NULL,          -- lower-case patient, accession, description, file path
    prediction_id INTEGER,                -- the active model's prediction, else the newest
    predicted     TEXT,
    p_covid       REAL,
    review_id     INTEGER,                -- the newest review
    review_label  TEXT,
    reviewed      INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX worklist_priority ON worklist_entries(reviewed, p_covid DESC, image_id);
  CREATE INDEX worklist_covid ON worklist_entries(p_covid, image_id);
  CREATE INDEX worklist_date ON worklist_entries(study_date, image_id);
  CREATE INDEX worklist_patient ON worklist_entries(patient_key, image_id);
  CREATE INDEX worklist_predicted ON worklist_entries(predicted, reviewed, p_covid DESC);
  CREATE INDEX worklist_status ON worklist_entries(status, reviewed, p_covid DESC);
  CREATE INDEX predictions_image ON predictions(image_id, id DESC);

  CREATE TRIGGER worklist_image_insert AFTER INSERT ON images BEGIN
    INSERT INTO worklist_entries (image_id, patient_key, study_date, status, search_text)
    SELECT NEW.id, p.patient_key, st.study_date, NEW.status,
           lower(p.patient_key || ' ' || coalesce(p.name, '') || ' ' || coalesce(st.accession, '') || ' ' ||
                 coalesce(st.description, '') || ' ' || NEW.source_path)
    FROM series s JOIN studies st ON st.id = s.study_id JOIN patients p ON p.id = st.patient_id
    WHERE s.id = NEW.series_id;
  END;
  CREATE TRIGGER worklist_image_update AFTER UPDATE OF status, series_id, source_path ON images BEGIN
    UPDATE worklist_entries SET status = NEW.status,
      (patient_key, study_date, search_text) = (
        SELECT p.patient_key, st.study_date,
               lower(p.patient_key || ' ' || coalesce(p.name, '') || ' ' || coalesce(st.accession, '') || ' ' ||
                     coalesce(st.description, '') || ' ' || NEW.source_path)
        FROM series s JOIN studies st ON st.id = s.study_id JOIN patients p ON p.id = st.patient_id
        WHERE s.id = NEW.series_id)
    WHERE image_id = NEW.id;
  END;
  CREATE TRIGGER worklist_image_delete BEFORE DELETE ON images BEGIN
    DELETE FROM worklist_entries WHERE image_id = OLD.id;
  END;
  CREATE TRIGGER worklist_prediction_insert AFTER INSERT ON predictions BEGIN
    UPDATE worklist_entries SET (prediction_id, predicted, p_covid) = (
      SELECT id, predicted, p_covid FROM predictions WHERE image_id = NEW.image_id
      ORDER BY (model_id = (SELECT id FROM models WHERE is_active = 1)) DESC, id DESC LIMIT 1)
    WHERE image_id = NEW.image_id;
  END;
  CREATE TRIGGER worklist_prediction_update AFTER UPDATE ON predictions BEGIN
    UPDATE worklist_entries SET (prediction_id, predicted, p_covid) = (
      SELECT id, predicted, p_covid FROM predictions WHERE image_id = NEW.image_id
      ORDER BY (model_id = (SELECT id FROM models WHERE is_active = 1)) DESC, id DESC LIMIT 1)
    WHERE image_id = NEW.image_id;
  END;
  CREATE TRIGGER worklist_prediction_delete AFTER DELETE ON predictions BEGIN
    UPDATE worklist_entries SET (prediction_id, predicted, p_covid) = (
      SELECT id, predicted, p_covid FROM predictions WHERE image_id = OLD.image_id
      ORDER BY (model_id = (SELECT id FROM models WHERE is_active = 1)) DESC, id DESC LIMIT 1)
    WHERE image_id = OLD.image_id;
  END;
  CREATE TRIGGER worklist_model_activate AFTER UPDATE OF is_active ON models WHEN NEW.is_active = 1 BEGIN
    UPDATE worklist_entries SET (prediction_id, predicted, p_covid) = (
      SELECT id, predicted, p_covid FROM predictions WHERE image_id = worklist_entries.image_id
      ORDER BY (model_id = NEW.id) DESC, id DESC LIMIT 1)
    WHERE prediction_id IS NOT NULL;
  END;
  CREATE TRIGGER worklist_review_insert AFTER INSERT ON reviews BEGIN
    UPDATE worklist_entries SET review_id = NEW.id, review_label = NEW.label, reviewed = 1
    WHERE image_id = NEW.image_id;
  END;

  INSERT INTO worklist_entries (image_id, patient_key, study_date, status, search_text)
  SELECT i.id, p.patient_key, st.study_date, i.status,
         lower(p.patient_key || ' ' || coalesce(p.name, '') || ' ' || coalesce(st.accession, '') || ' ' ||
               coalesce(st.description, '') || ' ' || i.source_path)
  FROM images i JOIN series s ON s.id = i.series_id JOIN studies st ON st.id = s.study_id
  JOIN patients p ON p.id = st.patient_id;
  UPDATE worklist_entries SET (prediction_id, predicted, p_covid) = (
    SELECT id, predicted, p_covid FROM predictions WHERE image_id = worklist_entries.image_id
    ORDER BY (model_id = (SELECT id FROM models WHERE is_active = 1)) DESC, id DESC LIMIT 1);
  UPDATE worklist_entries SET (review_id, review_label, reviewed) = (
    SELECT id, label, 1 FROM reviews WHERE image_id = worklist_entries.image_id ORDER BY id DESC LIMIT 1)
  WHERE image_id IN (SELECT image_id FROM reviews);
  `,
  /* worklist text search: a trigram index over worklist_entries.search_text, so that a substring
     search over 100,000 rows is an index lookup instead of a LIKE scan. */ `
  CREATE VIRTUAL TABLE worklist_search USING fts5(
    search_text, content = 'worklist_entries', content_rowid = 'image_id', tokenize = 'trigram'
  );
  INSERT INTO worklist_search (worklist_search) VALUES ('rebuild');
  CREATE TRIGGER worklist_search_insert AFTER INSERT ON worklist_entries BEGIN
    INSERT INTO worklist_search (rowid, search_text) VALUES (NEW.image_id, NEW.search_text);
  END;
  CREATE TRIGGER worklist_search_delete AFTER DELETE ON worklist_entries BEGIN
    INSERT INTO worklist_search (worklist_search, rowid, search_text) VALUES ('delete', OLD.image_id, OLD.search_text);
  END;
  CREATE TRIGGER worklist_search_update AFTER UPDATE OF search_text ON worklist_entries BEGIN
    INSERT INTO worklist_search (worklist_search, rowid, search_text) VALUES ('delete', OLD.image_id, OLD.search_text);
    INSERT INTO worklist_search (rowid, search_text) VALUES (NEW.image_id, NEW.search_text);
  END;
  `,
  /* PACS: each object sent back to a PACS (a Structured Report or a heatmap Secondary Capture), the
     audit of what left the workstation and the viewer's send history; see catalog/pacs.ts. */ `
  CREATE TABLE pacs_sends (
    id               INTEGER PRIMARY KEY,
    image_id         INTEGER NOT NULL REFERENCES images(id),
    prediction_id    INTEGER,
    model_id         TEXT,
    kind             TEXT NOT NULL CHECK (kind IN ('sr','sc')),
    sop_class_uid    TEXT NOT NULL,
    sop_instance_uid TEXT NOT NULL,
    study_uid        TEXT NOT NULL,
    via              TEXT NOT NULL CHECK (via IN ('dicomweb','dimse')),
    destination      TEXT NOT NULL,          -- host:port or AE@host:port; never credentials
    status           TEXT NOT NULL CHECK (status IN ('sent','failed')),
    error            TEXT,
    at               TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
  );
  CREATE INDEX pacs_sends_image ON pacs_sends(image_id, id DESC);
  CREATE INDEX pacs_sends_sop ON pacs_sends(sop_instance_uid);
`,
  /* v-next: the process that runs an import, so a new import closes only rows whose process is gone. */ `
  ALTER TABLE imports ADD COLUMN owner_pid INTEGER;
`,
  /* worklist: a broad search in the default (priority) order walks this index and checks each
     row's search_text in it, without a table lookup per row (page 50 of a search matching all
     100,000 rows: ~3 ms to ~0.5 ms here; the file grows ~8 %). */ `
  CREATE INDEX worklist_priority_text ON worklist_entries(reviewed, p_covid DESC, image_id, search_text);
`,
];
