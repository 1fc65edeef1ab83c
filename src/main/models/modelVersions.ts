import fs from 'node:fs';
import path from 'node:path';
import { audit, writeTransaction } from '../catalog/openCatalog';
import { activatedFrom, activeModelRow, modelCard, modelRow, modelVersionRow, modelVersionRows, type ModelVersionRow } from '../catalog/models';
import { MODEL_JSON } from './modelFiles';
import { activate, ensureBuiltinRegistered } from './activeModel';
import type { Services } from '../services/services';
import { CxrError } from '../../shared/errors';
import type { ActivationResult, ModelDetail, ModelVersion } from '../../shared/models';

function toVersion(r: ModelVersionRow): ModelVersion {
  const card = modelCard(r);
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
      threshold: card.operatingPoint?.threshold ?? null,
    },
    runId: local?.runId ?? null,
    predictions: r.predictions,
  };
}

export function listVersions(s: Services): ModelVersion[] {
  ensureBuiltinRegistered(s);
  return modelVersionRows(s.catalog).map(toVersion);
}

export function versionDetail(s: Services, id: string): ModelDetail {
  const r = modelVersionRow(s.catalog, id);
  if (!r) throw new CxrError('NOT_FOUND', `no model ${id} in the registry`);
  const card = modelCard(r);
  return { version: toVersion(r), comparison: card.localTraining?.comparison ?? null, card };
}

/** Makes `id` active and re-predicts the catalog with it in the background. */
export async function activateVersion(s: Services, id: string, actor = 'models'): Promise<ActivationResult> {
  const row = modelRow(s.catalog, id);
  if (!row) throw new CxrError('NOT_FOUND', `no model ${id} in the registry`);
  if (!fs.existsSync(path.join(row.path, MODEL_JSON))) throw new CxrError('NOT_FOUND', `model ${id}: its folder ${row.path} is missing`);
  const before = activeModelRow(s.catalog)?.id ?? null;
  writeTransaction(s.catalog, () => {
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
  const current = activeModelRow(s.catalog);
  if (!current) throw new CxrError('NOT_FOUND', 'no active model to roll back from');
  const from = activatedFrom(s.catalog, current.id);
  const exists = (id: string | null): id is string => Boolean(id && id !== current.id && modelRow(s.catalog, id));
  const target = exists(from) ? from : exists(current.parent_id) ? current.parent_id : null;
  if (!target) throw new CxrError('NOT_FOUND', `model ${current.id} has no earlier version to roll back to`);
  return activateVersion(s, target, 'models.rollback');
}
