import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs';
import type { Services } from '../services/services';
import { readCard, type ModelCard } from './card';
import { loadLayersModel, MODEL_JSON } from './modelFiles';
import { activeModelRow, modelCard, modelRow, setActiveModel, upsertModel } from '../catalog/models';

export class ModelRegistryError extends Error {
  override name = 'ModelRegistryError';
  constructor(reason: string) {
    super(`model/registry.ts: ${reason}`);
  }
}

export interface ModelRef {
  /** The catalog id, or null for the shipped default when it is not registered. */
  id: string | null;
  dir: string;
  card: ModelCard;
  builtin: boolean;
}

export interface LoadedModel extends ModelRef {
  model: tf.LayersModel;
}

/**
 * The shipped default model folder: `CXR_DEFAULT_MODEL_DIR`, else `resources/models/default`
 * found by walking up from this file (source tree, electron-vite `out/main`, or a packaged app's
 * resources folder).
 */
export function defaultModelDir(): string {
  if (process.env.CXR_DEFAULT_MODEL_DIR) return path.resolve(process.env.CXR_DEFAULT_MODEL_DIR);
  const candidates: string[] = [];
  const resourcesPath = (process as { resourcesPath?: string }).resourcesPath;
  if (resourcesPath) candidates.push(path.join(resourcesPath, 'models', 'default'));
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    candidates.push(path.join(dir, 'resources', 'models', 'default'));
    dir = path.dirname(dir);
  }
  const found = candidates.find((c) => fs.existsSync(path.join(c, MODEL_JSON)));
  if (!found) throw new ModelRegistryError(`no shipped default model (looked in ${candidates.join(', ')})`);
  return found;
}

/** Reads a model folder's card and weights. */
export async function loadModel(dir: string): Promise<{ model: tf.LayersModel; card: ModelCard }> {
  const card = readCard(dir);
  const model = await loadLayersModel(dir);
  return { model, card };
}

/**
 * Adds a model folder to the catalog's `models` table under its card's id (idempotent), and makes
 * it the one active model when `activate` is set.
 */
export function registerModel(services: Pick<Services, 'catalog'>, dir: string, opts: { activate?: boolean; builtin?: boolean } = {}): ModelRef {
  const abs = path.resolve(dir);
  const card = readCard(abs);
  const db = services.catalog;
  db.transaction(() => {
    upsertModel(db, {
      id: card.id,
      name: card.name,
      version: card.version,
      architecture: card.architecture,
      path: abs,
      cardJson: JSON.stringify(card),
      parent: card.parent,
      builtin: Boolean(opts.builtin),
    });
    if (opts.activate) activate(services, card.id);
  })();
  return { id: card.id, dir: abs, card, builtin: Boolean(opts.builtin) };
}

/** Makes `id` the one active model (the unique partial index allows one). */
export function activate(services: Pick<Services, 'catalog'>, id: string): void {
  if (!setActiveModel(services.catalog, id)) throw new ModelRegistryError(`no model ${id} in the catalog`);
}

/** The active model, or the shipped default when none is active (or the active folder is gone). */
export function activeModel(services: Pick<Services, 'catalog'>): ModelRef {
  const row = activeModelRow(services.catalog);
  if (row && fs.existsSync(path.join(row.path, MODEL_JSON))) {
    return { id: row.id, dir: row.path, card: modelCard(row), builtin: row.is_builtin === 1 };
  }
  const dir = defaultModelDir();
  const card = readCard(dir);
  return { id: modelRow(services.catalog, card.id)?.id ?? null, dir, card, builtin: true };
}

/** Loads the model `--model` names, else the active one, else the shipped default. */
export async function resolveModel(services: Pick<Services, 'catalog'> | null, dir?: string): Promise<LoadedModel> {
  const ref: ModelRef = dir
    ? { id: null, dir: path.resolve(dir), card: readCard(path.resolve(dir)), builtin: false }
    : services
      ? activeModel(services)
      : { id: null, dir: defaultModelDir(), card: readCard(defaultModelDir()), builtin: true };
  const model = await loadLayersModel(ref.dir);
  return { ...ref, model };
}

/**
 * Registers the shipped default (is_builtin) so predictions can reference its id; activates it
 * when no model is active. Call once at startup.
 */
export function ensureBuiltinRegistered(services: Pick<Services, 'catalog'>): ModelRef {
  const dir = defaultModelDir();
  const hasActive = activeModelRow(services.catalog) !== undefined;
  return registerModel(services, dir, { builtin: true, activate: !hasActive });
}
