/**
 * The model predictions are made with: the active model, else the shipped default, registered in
 * the catalog (predictions reference models.id). Loaded predictors are kept per services and model
 * for the inline path and heatmaps; a worker loads its own.
 */
import { CxrError } from '../../shared/errors';
import type { Services } from '../services/services';
import { initBackend } from '../tfjs/backend';
import { Predictor } from '../inference/predictor';
import { activeModel, registerModel, resolveModel, type ModelRef } from './registry';

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

const loaded = new WeakMap<Services, { modelId: string; dir: string; predictor: Promise<Predictor> }>();

export function predictorFor(s: Services, ref: ModelRef & { id: string }): Promise<Predictor> {
  const hit = loaded.get(s);
  if (hit && hit.modelId === ref.id && hit.dir === ref.dir) return hit.predictor;
  if (hit) void hit.predictor.then((p) => p.model.dispose(), () => {});
  const predictor = (async () => {
    await initBackend();
    const m = await resolveModel(null, ref.dir);
    return new Predictor(m.model, m.card);
  })();
  // A failed load is not cached.
  predictor.catch(() => loaded.delete(s));
  loaded.set(s, { modelId: ref.id, dir: ref.dir, predictor });
  return predictor;
}
