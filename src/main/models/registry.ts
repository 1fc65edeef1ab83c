/** Model folders in the catalog's registry: reading one, and registering one. Which one is active: activeModel.ts. */
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { Services } from '../services/services';
import { readCard, type ModelCard } from './card';
import { loadLayersModel } from './modelFiles';
import { setActiveModel, upsertModel } from '../catalog/models';
import { writeTransaction } from '../catalog/openCatalog';

export class ModelRegistryError extends Error {
  override name = 'ModelRegistryError';
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
  writeTransaction(db, () => {
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
    if (opts.activate && !setActiveModel(db, card.id)) throw new ModelRegistryError(`no model ${card.id} in the catalog`);
  })();
  return { id: card.id, dir: abs, card, builtin: Boolean(opts.builtin) };
}
