/** The `models` table: registered model folders, at most one active (a unique partial index). */
import { writeTransaction, type Catalog } from './openCatalog';
import { parseCardJson, type ModelCard } from '../models/card';

/** A `models` row as SQLite returns it. */
export interface ModelRow {
  id: string;
  name: string;
  version: string;
  architecture: string;
  path: string;
  card_json: string;
  parent_id: string | null;
  is_active: number;
  is_builtin: number;
  created_at: string;
}

/** A row with what the registry view shows beside it. */
export interface ModelVersionRow extends ModelRow {
  parent_name: string | null;
  /** Predictions in the catalog attributed to it. */
  predictions: number;
}

/** A registered model's card, checked against the card schema. */
export function modelCard(row: Pick<ModelRow, 'id' | 'card_json'>): ModelCard {
  return parseCardJson(row.card_json, `model ${row.id} in the catalog`);
}

export function modelRow(db: Catalog, id: string): ModelRow | undefined {
  return db.prepare('SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined;
}

export function activeModelRow(db: Catalog): ModelRow | undefined {
  return db.prepare('SELECT * FROM models WHERE is_active = 1').get() as ModelRow | undefined;
}

/**
 * The model predictions are made with as the catalog knows it: the active one, else the shipped
 * default registered last (activeModel.ts predicts with the shipped default, registered but not
 * active, until a model is activated; after an app update the newer default is registered on its
 * first prediction).
 */
export function predictingModelRow(db: Catalog): ModelRow | undefined {
  return (
    activeModelRow(db) ??
    (db.prepare('SELECT * FROM models WHERE is_builtin = 1 ORDER BY created_at DESC, rowid DESC LIMIT 1').get() as ModelRow | undefined)
  );
}

/**
 * Adds a model under its card's id, or updates its folder and card (idempotent). A parent that is
 * not registered is stored as null, so the foreign key holds.
 */
export function upsertModel(
  db: Catalog,
  m: { id: string; name: string; version: string; architecture: string; path: string; cardJson: string; parent: string | null; builtin: boolean },
): void {
  db.prepare(
    `INSERT INTO models (id, name, version, architecture, path, card_json, parent_id, is_builtin)
     VALUES (@id, @name, @version, @architecture, @path, @card, @parent, @builtin)
     ON CONFLICT(id) DO UPDATE SET path = excluded.path, card_json = excluded.card_json,
       is_builtin = max(is_builtin, excluded.is_builtin)`,
  ).run({
    id: m.id,
    name: m.name,
    version: m.version,
    architecture: m.architecture,
    path: m.path,
    card: m.cardJson,
    parent: m.parent && modelRow(db, m.parent) ? m.parent : null,
    builtin: m.builtin ? 1 : 0,
  });
}

/** Makes `id` the one active model; false when there is no such model. */
export function setActiveModel(db: Catalog, id: string): boolean {
  return writeTransaction(db, () => {
    if (!modelRow(db, id)) return false;
    db.prepare('UPDATE models SET is_active = 0 WHERE is_active = 1').run();
    db.prepare('UPDATE models SET is_active = 1 WHERE id = ?').run(id);
    return true;
  })();
}

const VERSION_SELECT = `SELECT m.*, p.name AS parent_name, (SELECT count(*) FROM predictions x WHERE x.model_id = m.id) AS predictions
                        FROM models m LEFT JOIN models p ON p.id = m.parent_id`;

/** Every model, newest first. */
export function modelVersionRows(db: Catalog): ModelVersionRow[] {
  return db.prepare(`${VERSION_SELECT} ORDER BY m.created_at DESC, m.rowid DESC`).all() as ModelVersionRow[];
}

export function modelVersionRow(db: Catalog, id: string): ModelVersionRow | undefined {
  return db.prepare(`${VERSION_SELECT} WHERE m.id = ?`).get(id) as ModelVersionRow | undefined;
}

/** The model that was active before `id` was last activated (from the audit log), if recorded. */
export function activatedFrom(db: Catalog, id: string): string | null {
  const last = db
    .prepare(`SELECT detail_json FROM audit_log WHERE action = 'model.activate' AND entity_id = ? ORDER BY id DESC LIMIT 1`)
    .get(id) as { detail_json: string } | undefined;
  return last ? ((JSON.parse(last.detail_json) as { from?: string | null }).from ?? null) : null;
}
