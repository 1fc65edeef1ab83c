/**
 * The prediction loop over catalog images, shared by the worker thread and the inline path:
 * reads each rendering, preprocesses, predicts in batches, and hands each batch's results on.
 * Checks for cancellation between batches.
 */
import type { Catalog } from '../catalog/openCatalog';
import { readRendering } from '../renderings/renderingStore';
import type { ImagePrediction, Predictor } from './predictor';
import { readImageQualities, renderingHashOf } from '../catalog/images';

export type RunItem = { imageId: number; prediction: ImagePrediction } | { imageId: number; error: string };

const inUnit = (x: number) => Number.isFinite(x) && x >= 0 && x <= 1;

/**
 * Why a prediction cannot be stored (a NaN or infinite probability or band, as a broken model
 * or card gives), or null when every number is a finite probability.
 */
export function invalidPrediction(p: ImagePrediction): string | null {
  for (const [label, v] of Object.entries(p.probs)) {
    if (!inUnit(v)) return `the model gave a probability of ${v} for ${label}, not a finite number in [0, 1]`;
  }
  for (const [label, b] of Object.entries(p.band)) {
    if (!inUnit(b.lo) || !inUnit(b.hi) || b.lo > b.hi) return `the model gave an uncertainty band of [${b.lo}, ${b.hi}] for ${label}, not finite numbers in [0, 1]`;
  }
  return null;
}

export async function predictCatalogImages(
  ctx: { catalog: Catalog; dataDir: string },
  predictor: Predictor,
  imageIds: readonly number[],
  hooks: { onBatch(items: RunItem[]): void; cancelled(): boolean; batchSize?: number; nSamples?: number },
): Promise<{ cancelled: boolean }> {
  const bs = hooks.batchSize ?? 16;
  const qualities = readImageQualities(ctx.catalog, imageIds);
  for (let start = 0; start < imageIds.length; start += bs) {
    if (hooks.cancelled()) return { cancelled: true };
    const ids = imageIds.slice(start, start + bs);
    const items: RunItem[] = [];
    const ready: { id: number; input: Float32Array }[] = [];
    for (const id of ids) {
      const q = qualities.get(id);
      if (!q) items.push({ imageId: id, error: 'not in the catalog' });
      else if (q.status !== 'eligible') items.push({ imageId: id, error: `excluded: ${q.exclusionReason ?? 'not eligible'}` });
      else {
        try {
          ready.push({ id, input: await predictor.input(await readRendering(ctx.dataDir, renderingHashOf(ctx.catalog, id))) });
        } catch (err) {
          items.push({ imageId: id, error: err instanceof Error ? err.message : String(err) });
        }
      }
    }
    if (ready.length) {
      const preds = await predictor.predict(
        ready.map((r) => r.input),
        ready.map((r) => qualities.get(r.id)!),
        hooks.nSamples,
      );
      ready.forEach((r, i) => {
        const prediction = preds[i]!;
        const why = invalidPrediction(prediction);
        items.push(why ? { imageId: r.id, error: why } : { imageId: r.id, prediction });
      });
    }
    hooks.onBatch(items);
    // Lets a cancel message in between batches.
    await new Promise((r) => setImmediate(r));
  }
  return { cancelled: false };
}
