/**
 * Which model is active: the one module that answers it. The active model is the catalog's
 * (models.is_active), else the shipped default, which is registered (flagged builtin, so nothing
 * ever deletes it) so that every prediction has a model id to carry.
 */
import fs from 'node:fs';
import path from 'node:path';
import { findResource, resourceCandidates } from '../resourceFile';
import { CxrError } from '../../shared/errors';
import type { Services } from '../services/services';
import { readCard } from './card';
import { loadLayersModel, MODEL_JSON } from './modelFiles';
import { ModelRegistryError, registerModel, type LoadedModel, type ModelRef } from './registry';
import { activeModelRow, modelCard, modelRow, setActiveModel } from '../catalog/models';

type WithCatalog = Pick<Services, 'catalog'>;

/**
 * The shipped default model folder: `CXR_DEFAULT_MODEL_DIR`, else `resources/models/default`
 * found by walking up from this file (source tree, electron-vite `out/main`, or a packaged app's
 * resources folder).
 */
export function defaultModelDir(): string {
  if (process.env.CXR_DEFAULT_MODEL_DIR) return path.resolve(process.env.CXR_DEFAULT_MODEL_DIR);
  const rel = path.join('models', 'default', MODEL_JSON);
  const found = findResource(rel);
  if (!found) throw new ModelRegistryError(`no shipped default model (looked for ${resourceCandidates(rel).join(', ')})`);
  return path.dirname(found);
}

/** Makes `id` the one active model (the unique partial index allows one). */
export function activate(s: WithCatalog, id: string): void {
  if (!setActiveModel(s.catalog, id)) throw new ModelRegistryError(`no model ${id} in the catalog`);
}

/** The active model, or the shipped default when none is active (or the active folder is gone). */
export function activeModel(s: WithCatalog): ModelRef {
  const row = activeModelRow(s.catalog);
  if (row && fs.existsSync(path.join(row.path, MODEL_JSON))) {
    return { id: row.id, dir: row.path, card: modelCard(row), builtin: row.is_builtin === 1 };
  }
  const dir = defaultModelDir();
  const card = readCard(dir);
  return { id: modelRow(s.catalog, card.id)?.id ?? null, dir, card, builtin: true };
}

/** The active model (or the shipped default), or null when there is neither. */
export function activeModelRef(s: WithCatalog): ModelRef | null {
  try {
    return activeModel(s);
  } catch {
    return null;
  }
}

/**
 * Registers the shipped default and makes it active when no model is. A build without a shipped
 * model (or with an unreadable one) leaves the registry as it is: null.
 */
export function ensureBuiltinRegistered(s: WithCatalog): ModelRef | null {
  let dir: string;
  try {
    dir = defaultModelDir();
    readCard(dir);
  } catch {
    return null;
  }
  return registerModel(s, dir, { builtin: true, activate: activeModelRow(s.catalog) === undefined });
}

/** The model predictions are made with: the active one, registering the shipped default (inactive) on first use. */
export function predictionModel(s: WithCatalog): ModelRef & { id: string } {
  let ref: ModelRef;
  try {
    ref = activeModel(s);
  } catch (err) {
    throw new CxrError('NOT_FOUND', `no model to predict with: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (ref.id) return ref as ModelRef & { id: string };
  const registered = registerModel(s, ref.dir, { builtin: true });
  return { ...registered, id: registered.id! };
}

/** Loads the model `--model` names, else the active one, else the shipped default (no catalog). */
export async function resolveModel(s: WithCatalog | null, dir?: string): Promise<LoadedModel> {
  const ref: ModelRef = dir
    ? { id: null, dir: path.resolve(dir), card: readCard(path.resolve(dir)), builtin: false }
    : s
      ? activeModel(s)
      : { id: null, dir: defaultModelDir(), card: readCard(defaultModelDir()), builtin: true };
  const model = await loadLayersModel(ref.dir);
  return { ...ref, model };
}
