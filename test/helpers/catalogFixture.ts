import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Services } from '../../src/main/services/services';
import { storeRendering } from '../../src/main/renderings/renderingStore';
import { folderIO } from '../../src/main/models/modelFiles';
import { writeCard, type ModelCard } from '../../src/main/models/card';
import { rng } from './syntheticLogits';
import { LABELS } from '../../src/shared/labels';

let seq = 0;

/** Adds one image to the catalog with a stored rendering, as an import would leave it. */
export async function addCatalogImage(
  s: Services,
  opts: { seed?: number; width?: number; height?: number; status?: 'eligible' | 'excluded'; exclusion?: string; warnings?: string[] } = {},
): Promise<number> {
  const width = opts.width ?? 40;
  const height = opts.height ?? 48;
  const r = rng(opts.seed ?? ++seq);
  const data = Uint8Array.from({ length: width * height }, () => Math.floor(r() * 256));
  const { hash } = await storeRendering(s.dataDir, { data, width, height });
  const n = ++seq;
  const db = s.catalog;
  const p = db.prepare('INSERT INTO patients (patient_key) VALUES (?)').run(`p${n}-${hash.slice(0, 8)}`).lastInsertRowid;
  const st = db.prepare('INSERT INTO studies (patient_id, study_uid) VALUES (?, ?)').run(p, `st${n}-${hash}`).lastInsertRowid;
  const se = db.prepare('INSERT INTO series (study_id, series_uid) VALUES (?, ?)').run(st, `se${n}-${hash}`).lastInsertRowid;
  return Number(
    db
      .prepare(
        `INSERT INTO images (series_id, sop_uid, content_hash, source_path, file_kind, rows, cols, rendering_hash, status, exclusion_reason, warnings)
         VALUES (?, ?, ?, ?, 'png', ?, ?, ?, ?, ?, ?)`,
      )
      .run(se, `sha256:${n}-${hash}`, hash, `/synthetic/${n}.png`, height, width, hash, opts.status ?? 'eligible', opts.exclusion ?? null, JSON.stringify(opts.warnings ?? []))
      .lastInsertRowid,
  );
}

/** Saves a tfjs model with a minimal card (plus `extra` fields) into `dir`. */
export async function saveTinyModel(model: tf.LayersModel, dir: string, inputSize: number, channels: 1 | 3, extra: Record<string, unknown> = {}): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(folderIO(dir));
  const card: ModelCard = {
    id: `tiny-${path.basename(dir)}`,
    name: 'tiny test model',
    version: '0.0.1',
    architecture: 'zhongSlim',
    inputSize,
    channels,
    labels: LABELS,
    preprocessing: 'test',
    date: new Date(0).toISOString(),
    parent: null,
    risks: [],
    intendedUse: 'tests',
    ...extra,
  };
  writeCard(dir, card);
}

/** A training run left 'running' by a process that is gone (another host, a pid that cannot exist). */
export function addRunOfDeadProcess(db: Services['catalog'], config: unknown): number {
  return Number(
    db
      .prepare(`INSERT INTO training_runs (status, config_json) VALUES ('running', ?)`)
      .run(JSON.stringify({ config, dataset: null, owner: { pid: 2 ** 22 + 12345, host: 'gone' } })).lastInsertRowid,
  );
}
