/**
 * The model predictions are made with: the active model, else the shipped default, registered in
 * the catalog (predictions reference models.id).
 */
import { CxrError } from '../../shared/errors';
import type { Services } from '../services/services';
import { activeModel, registerModel, type ModelRef } from './registry';

/** The active model's reference, registering the shipped default on first use. */
export function predictionModel(s: Services): ModelRef & { id: string } {
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
