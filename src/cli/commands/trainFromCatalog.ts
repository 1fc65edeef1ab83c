import type { CliContext } from '../command';
import { UsageError } from '../command';
import { activateVersion } from '../../main/models/modelVersions';
import { activeModelRef } from '../../main/models/activeModel';
import { trainingConfig, type TrainingProgress } from '../../shared/training';

/** `cxr train --from-catalog` options, beside the ones `cxr train` already has (arch, epochs, seed, …). */
export const fromCatalogOptions = {
  'from-catalog': { type: 'boolean', default: false },
  scratch: { type: 'boolean', default: false },
  sensitivity: { type: 'string' },
  folder: { type: 'string', multiple: true },
} as const;

const fmt = (s: number): string => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`);

function num(values: Record<string, unknown>, key: string): number | undefined {
  const v = values[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${key} must be a number, got ${String(v)}`);
  return n;
}

/**
 * The Training view without the UI: labels from the catalog (latest review wins), a patient split,
 * fine-tune (or --scratch) in a worker, local calibration, the COVID-19 threshold at
 * --sensitivity, the comparison with the active model, and a registered (inactive unless
 * --activate) new version.
 */
export async function trainFromCatalog(ctx: CliContext, values: Record<string, unknown>): Promise<unknown> {
  const s = ctx.services();
  // Fine-tuning keeps the active model's architecture unless --arch says otherwise.
  const active = values.scratch ? null : activeModelRef(s);
  const parsed = trainingConfig.safeParse({
    ...(typeof values.arch === 'string' ? { architecture: values.arch } : active ? { architecture: active.card.architecture } : {}),
    start: values.scratch ? 'scratch' : 'fine-tune',
    ...(num(values, 'epochs') !== undefined ? { epochs: num(values, 'epochs') } : {}),
    ...(num(values, 'batch-size') !== undefined ? { batchSize: num(values, 'batch-size') } : {}),
    ...(num(values, 'seed') !== undefined ? { seed: num(values, 'seed') } : {}),
    ...(num(values, 'sensitivity') !== undefined ? { sensitivity: num(values, 'sensitivity') } : {}),
    ...(typeof values['class-weights'] === 'string' ? { classWeights: values['class-weights'] } : {}),
    folders: Array.isArray(values.folder) ? values.folder : [],
  });
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const config = parsed.data;
  // Folders on the command line are the CLI's equivalent of the dialog.
  for (const f of config.folders) s.importRoots.add(f);
  const t = s.training;
  const ds = t.dataset(config.folders, config.seed);
  ctx.progress(
    `from catalog: ${ds.total} images, ${ds.patients} patients ${JSON.stringify(ds.perClass)}; ` +
      `train ${ds.splits.train.images} / val ${ds.splits.val.images} / test ${ds.splits.test.images}`,
  );
  for (const w of ds.warnings) ctx.progress(`warning: ${w}`);
  let lastLog = 0;
  const off = s.events.subscribe((event, payload) => {
    if (event !== 'training.progress') return;
    const p = payload as TrainingProgress;
    if (p.batch && (Date.now() - lastLog > 10_000 || p.batch.batch === p.batch.batches)) {
      lastLog = Date.now();
      const b = p.batch;
      ctx.progress(`epoch ${b.epoch + 1}/${b.epochs} batch ${b.batch}/${b.batches} loss ${b.loss.toFixed(4)} ${b.imgPerS.toFixed(1)} img/s ETA ${fmt(b.etaS)} [${p.backend?.name ?? '?'}]`);
    } else if (p.epoch) {
      const e = p.epoch;
      ctx.progress(`epoch ${e.epoch + 1} done: loss ${e.loss.toFixed(4)} acc ${e.accuracy.toFixed(3)} | val loss ${e.valLoss.toFixed(4)} acc ${e.valAccuracy.toFixed(3)}${e.best ? ' (best)' : ''}`);
    } else if (!p.batch && !p.cache) ctx.progress(`${p.phase}…`);
  });
  const { done } = t.start(config);
  const stop = (): void => {
    ctx.progress('cancelling after this batch…');
    t.cancel();
  };
  process.once('SIGINT', stop);
  try {
    const result = await done;
    if (result.status === 'completed' && values.activate && result.modelId) {
      await activateVersion(s, result.modelId, 'cli');
      const r = await s.repredict.whenDone();
      ctx.progress(`activated ${result.modelId}; re-predicted ${r?.done ?? 0}/${r?.total ?? 0} images`);
    }
    return { ...result, dataset: ds };
  } finally {
    process.off('SIGINT', stop);
    off();
  }
}
