import path from 'node:path';
import type { Catalog } from '../../src/main/catalog/openCatalog';
import { LABELS, type Label } from '../../src/shared/labels';
import { seededRandom } from '../../src/main/training/seededRandom';

export const SEED_MODEL = { id: 'seed-model-1', name: 'Seed DenseNet', version: '1.0.0' };

export interface SeedOptions {
  images: number;
  /** Real files the rows point at (cycled), so that the viewer can show pixels. */
  sourceFiles?: string[];
  /** Share of images excluded at import (no prediction). */
  excludedShare?: number;
  /** Deterministic pseudo-random seed. */
  seed?: number;
  /** Names written to patients.name: tests check they stay out of exports. */
  patientName?: (i: number) => string;
}

/** The seeded model's card: no weights behind it, a flag threshold of 0.5. */
function seedCard() {
  return {
    id: SEED_MODEL.id, name: SEED_MODEL.name, version: SEED_MODEL.version, architecture: 'densenet121', inputSize: 224, channels: 3, labels: LABELS, parent: null, risks: [],
    operatingPoint: { threshold: 0.5, targetSensitivity: 0.95, valSensitivity: 0, valSpecificity: 0, valPositives: 0, fallback: true },
  };
}

/** Seeded, so that seeded catalogs are the same every run. */
const prng = seededRandom;

/**
 * Writes synthetic patients, studies, series, images and predictions of an active model straight
 * into the catalog in one transaction: the shape import and prediction write, without their cost.
 */
export function seedCatalog(db: Catalog, opts: SeedOptions): { imageIds: number[] } {
  const rand = prng(opts.seed ?? 42);
  const files = opts.sourceFiles ?? [];
  const imageIds: number[] = [];
  db.transaction(() => {
    db.prepare(
      `INSERT OR IGNORE INTO models (id, name, version, architecture, path, card_json, is_active, is_builtin)
       VALUES (?, ?, ?, 'densenet121', '/models/seed', ?, 0, 1)`,
    ).run(SEED_MODEL.id, SEED_MODEL.name, SEED_MODEL.version, JSON.stringify(seedCard()));
    db.prepare('UPDATE models SET is_active = 0 WHERE is_active = 1 AND id != ?').run(SEED_MODEL.id);
    db.prepare('UPDATE models SET is_active = 1 WHERE id = ?').run(SEED_MODEL.id);
    const base = (db.prepare('SELECT coalesce(max(id), 0) AS n FROM images').get() as { n: number }).n;
    const insPatient = db.prepare('INSERT INTO patients (patient_key, name, sex, age) VALUES (?, ?, ?, ?)');
    const insStudy = db.prepare('INSERT INTO studies (patient_id, study_uid, study_date, accession, description) VALUES (?, ?, ?, ?, ?)');
    const insSeries = db.prepare('INSERT INTO series (study_id, series_uid, modality, view_position, body_part) VALUES (?, ?, ?, ?, ?)');
    const insImage = db.prepare(
      `INSERT INTO images (series_id, sop_uid, content_hash, source_path, file_kind, rows, cols, status, exclusion_reason, warnings, reference_label)
       VALUES (?, ?, ?, ?, ?, 1024, 1024, ?, ?, ?, ?)`,
    );
    const insPred = db.prepare(
      `INSERT INTO predictions (image_id, model_id, predicted, p_covid, p_normal, p_pneumonia, band_json, conformal_set, quality_json, ood_score, method, n_samples, duration_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'mc-dropout', 20, 40)`,
    );
    let patientId = 0;
    let seriesId = 0;
    for (let k = 0; k < opts.images; k++) {
      const i = base + k;
      // Two images per study, one study per patient: enough structure for the thumbnail strip.
      if (k % 2 === 0) {
        const name = opts.patientName?.(i) ?? `Patient^Synthetic${i}`;
        patientId = Number(insPatient.run(`PID-${String(i).padStart(7, '0')}`, name, rand() < 0.5 ? 'F' : 'M', `0${40 + Math.floor(rand() * 40)}Y`).lastInsertRowid);
        const day = new Date(Date.UTC(2020, 2, 1) + Math.floor(rand() * 700) * 86_400_000).toISOString().slice(0, 10);
        const studyId = Number(insStudy.run(patientId, `1.2.826.0.1.${i}`, day, `ACC${i}`, 'CHEST PA').lastInsertRowid);
        seriesId = Number(insSeries.run(studyId, `1.2.826.0.2.${i}`, rand() < 0.7 ? 'CR' : 'DX', rand() < 0.8 ? 'PA' : 'AP', 'CHEST').lastInsertRowid);
      }
      const truth = LABELS[Math.floor(rand() * 3)]!;
      const excluded = rand() < (opts.excludedShare ?? 0.03);
      const file = files.length ? files[k % files.length]! : `/synthetic/${truth}/img${i}.png`;
      const imageId = Number(
        insImage.run(
          seriesId,
          `1.2.826.0.3.${i}`,
          `hash${i}`,
          file,
          path.extname(file).toLowerCase() === '.png' ? 'png' : 'jpeg',
          excluded ? 'excluded' : 'eligible',
          excluded ? (rand() < 0.5 ? 'lateral view' : 'not a chest X-ray') : null,
          rand() < 0.1 ? '["low_contrast"]' : '[]',
          truth,
        ).lastInsertRowid,
      );
      imageIds.push(imageId);
      if (excluded) continue;
      // Probabilities leaning towards the truth, as a model that is right most of the time.
      const raw = LABELS.map((l) => (l === truth ? 1.5 : 0) + rand() * 1.6);
      const exp = raw.map((r) => Math.exp(r * 2));
      const sum = exp.reduce((a, b) => a + b, 0);
      const p = exp.map((e) => e / sum) as [number, number, number];
      const width = 0.03 + rand() * 0.15;
      const bands = Object.fromEntries(
        LABELS.map((l, j) => [l, { lo: Math.max(0, p[j]! - width * (0.5 + rand() * 0.5)), hi: Math.min(1, p[j]! + width * (0.5 + rand() * 0.5)) }]),
      );
      const order = [0, 1, 2].sort((a, b) => p[b]! - p[a]!);
      const set: Label[] = [LABELS[order[0]!]!];
      if (p[order[1]!]! > 0.2) set.push(LABELS[order[1]!]!);
      const ood = rand();
      insPred.run(imageId, SEED_MODEL.id, LABELS[order[0]!]!, p[0], p[1], p[2], JSON.stringify(bands), JSON.stringify(set),
        ood > 0.95 ? '["ood"]' : '[]', ood);
    }
  })();
  return { imageIds };
}
