import fs from 'node:fs';
import path from 'node:path';
import { audit } from '../catalog/openCatalog';
import type { ModelCard } from './card';
import { MODEL_JSON } from './modelFiles';
import { activate, activeModel, ensureBuiltinRegistered as registerBuiltin, type ModelRef } from './registry';
import type { Services } from '../services/services';
import { CxrError } from '../../shared/errors';
import type { ActivationResult, ModelDetail, ModelVersion } from '../../shared/models';
import type { Comparison, DatasetSummary } from '../../shared/training';

interface ModelRow {
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
  parent_name: string | null;
  predictions: number;
}

/**
 * Registers the shipped default (flagged builtin, so nothing ever deletes it) and makes it active
 * when no model is, so every prediction has a model id to carry. A build without a shipped model
 * leaves the registry as it is.
 */
export function ensureBuiltinRegistered(s: Pick<Services, 'catalog'>): void {
  let ref: ModelRef;
  try {
    ref = registerBuiltin(s);
  } catch {
    // A build without a shipped model (or with an unreadable one): the registry stays as it is.
    return;
  }
  // A row an earlier call registered without the flag still gets it.
  s.catalog.prepare('UPDATE models SET is_builtin = 1 WHERE id = ? AND is_builtin = 0').run(ref.id);
}

/** The active model (or the shipped default), or null when there is neither. */
export function activeModelRef(s: Pick<Services, 'catalog'>): ModelRef | null {
  try {
    return activeModel(s);
  } catch {
    return null;
  }
}

interface LocalTraining {
  runId?: number;
  dataset?: DatasetSummary;
  comparison?: Comparison;
}

function toVersion(r: ModelRow): ModelVersion {
  const card = JSON.parse(r.card_json) as ModelCard & { localTraining?: LocalTraining; operatingThreshold?: number };
  const local = card.localTraining;
  const mine = local?.comparison?.models.find((m) => m.role === 'new');
  const ds = local?.dataset;
  return {
    id: r.id,
    name: r.name,
    version: r.version,
    architecture: r.architecture,
    createdAt: r.created_at,
    parentId: r.parent_id,
    parentName: r.parent_name,
    active: r.is_active === 1,
    builtin: r.is_builtin === 1,
    dataCounts: ds
      ? { train: ds.splits.train.images, val: ds.splits.val.images, test: ds.splits.test.images, perClass: ds.perClass }
      : card.trainingData
        ? { train: card.trainingData.train.total, val: card.trainingData.val.total, test: null, perClass: card.trainingData.train.perClass }
        : null,
    metrics: {
      valAccuracy: card.valMetrics?.accuracy ?? null,
      testAccuracy: mine?.scores.accuracy ?? null,
      macroAuc: mine?.scores.macroAuc ?? card.valMetrics?.macro.auc ?? null,
      ece: mine?.scores.ece ?? card.valMetrics?.ece ?? null,
      threshold: typeof card.operatingThreshold === 'number' ? card.operatingThreshold : null,
    },
    runId: local?.runId ?? null,
    predictions: r.predictions,
  };
}

const SELECT = `SELECT m.*, p.name AS parent_name, (SELECT count(*) FROM predictions x WHERE x.model_id = m.id) AS predictions
                FROM models m LEFT JOIN models p ON p.id = m.parent_id`;

export function listVersions(s: Services): ModelVersion[] {
  ensureBuiltinRegistered(s);
  return (s.catalog.prepare(`${SELECT} ORDER BY m.created_at DESC, m.rowid DESC`).all() as ModelRow[]).map(toVersion);
}

export function versionDetail(s: Services, id: string): ModelDetail {
  const r = s.catalog.prepare(`${SELECT} WHERE m.id = ?`).get(id) as ModelRow | undefined;
  if (!r) throw new CxrError('NOT_FOUND', `no model ${id} in the registry`);
  const card = JSON.parse(r.card_json) as Record<string, unknown> & { localTraining?: LocalTraining };
  return { version: toVersion(r), comparison: card.localTraining?.comparison ?? null, card };
}

/** Makes `id` active and re-predicts the catalog with it in the background. */
export async function activateVersion(s: Services, id: string, actor = 'models'): Promise<ActivationResult> {
  const row = s.catalog.prepare('SELECT id, path FROM models WHERE id = ?').get(id) as { id: string; path: string } | undefined;
  if (!row) throw new CxrError('NOT_FOUND', `no model ${id} in the registry`);
  if (!fs.existsSync(path.join(row.path, MODEL_JSON))) throw new CxrError('NOT_FOUND', `model ${id}: its folder ${row.path} is missing`);
  const before = (s.catalog.prepare('SELECT id FROM models WHERE is_active = 1').get() as { id: string } | undefined)?.id ?? null;
  s.catalog.transaction(() => {
    activate(s, id);
    audit(s.catalog, { actor, action: 'model.activate', entity: 'model', entityId: id, detail: { from: before, to: id } });
  })();
  s.events.emit('models.changed', { activeId: id });
  const repredict = await s.repredict.start(id);
  return { activeId: id, repredict };
}

/**
 * Re-activates the model that was active before the current one (from the audit log's
 * activations), else the current model's parent.
 */
export async function rollback(s: Services): Promise<ActivationResult> {
  const current = (s.catalog.prepare('SELECT id, parent_id FROM models WHERE is_active = 1').get() as { id: string; parent_id: string | null } | undefined) ?? null;
  if (!current) throw new CxrError('NOT_FOUND', 'no active model to roll back from');
  const last = s.catalog
    .prepare(`SELECT detail_json FROM audit_log WHERE action = 'model.activate' AND entity_id = ? ORDER BY id DESC LIMIT 1`)
    .get(current.id) as { detail_json: string } | undefined;
  const from = last ? (JSON.parse(last.detail_json) as { from: string | null }).from : null;
  const exists = (id: string | null): id is string => Boolean(id && id !== current.id && s.catalog.prepare('SELECT 1 FROM models WHERE id = ?').get(id));
  const target = exists(from) ? from : exists(current.parent_id) ? current.parent_id : null;
  if (!target) throw new CxrError('NOT_FOUND', `model ${current.id} has no earlier version to roll back to`);
  return activateVersion(s, target, 'models.rollback');
}
