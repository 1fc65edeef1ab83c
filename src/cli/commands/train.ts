import path from 'node:path';
import type { CliContext, Command } from '../command';
import { fromCatalogOptions, trainFromCatalog } from './trainFromCatalog';
import { UsageError } from '../command';
import { ARCHITECTURES, DEFAULT_ARCHITECTURE, isArchitectureName } from '../../main/models/architectures';
import { classCounts, listSamplesFrom, type Sample } from '../../main/datasets/dataset';
import { chestRecipe, paperRecipe, type TrainRecipe } from '../../main/training/recipe';
import { registerModel } from '../../main/models/registry';
import { startTrainingJob } from '../../main/training/trainingJob';
import { outDirProblem } from '../../main/training/checkpoint';
import type { TrainEvent } from '../../main/training/trainModel';

const fmt = (s: number): string =>
  s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`;

const asList = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : []);

function samplesFrom(ctx: CliContext, values: Record<string, unknown>, key: 'data' | 'val', split?: string): Sample[] {
  const args = asList(values[key]);
  if (key === 'data' && args.length === 0) throw new UsageError('--data <dir|manifest.csv> is required');
  // A --val manifest without a split column is all validation images.
  return listSamplesFrom(args, split, {
    splitOptional: key === 'val',
    onExcluded: (s, why) =>
      ctx.progress(`left out ${s.source}/${path.basename(s.file)} (${split ?? 'all'}): ${why.reason}`),
  });
}

function intOption(values: Record<string, unknown>, key: string, fallback: number): number {
  const v = values[key];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${key} must be a non-negative integer, got ${String(v)}`);
  return n;
}

/** `--workers`: auto (default), 1 or 2 wasm backends training data-parallel. */
function workersOption(v: unknown): number | 'auto' {
  if (v === undefined || v === 'auto') return 'auto';
  if (v === '1' || v === '2') return Number(v);
  throw new UsageError(`--workers must be auto, 1 or 2, got ${String(v)}`);
}

export const train: Command = {
  summary: 'train a model (zhong2020 or the compact default) with the paper recipe in a worker thread',
  usage:
    'cxr train --data <dir|manifest.csv>... [--val <dir|manifest.csv>...] [--split train] [--arch cxrResNet|zhongSlim|zhong2020] ' +
    '[--recipe chest|paper] [--epochs N] [--epoch-size N] [--out <dir>] [--seed N] [--class-weights inverse|paper|none] [--contrast lo,hi] [--max-images N] ' +
    '[--resume] [--force] [--init-from <model dir>] [--lr <peak>] [--augment borderMask=P,letterbox=P,text=P] [--select worst-source|macro-f1|last] [--activate] [--deadline <ISO time>] [--workers auto|1|2] [--json]\n' +
    '       cxr train --from-catalog [--db <file>] [--arch …] [--scratch] [--epochs N] [--batch-size N] [--seed N] ' +
    '[--sensitivity 0.95] [--folder <labelled dir>…] [--activate] [--json]',
  options: {
    data: { type: 'string', multiple: true },
    val: { type: 'string', multiple: true },
    split: { type: 'string' },
    arch: { type: 'string' },
    recipe: { type: 'string' },
    epochs: { type: 'string' },
    'epoch-size': { type: 'string' },
    out: { type: 'string' },
    seed: { type: 'string' },
    'class-weights': { type: 'string' },
    contrast: { type: 'string' },
    'max-images': { type: 'string' },
    'batch-size': { type: 'string' },
    resume: { type: 'boolean', default: false },
    force: { type: 'boolean', default: false },
    activate: { type: 'boolean', default: false },
    name: { type: 'string' },
    deadline: { type: 'string' },
    'init-from': { type: 'string' },
    lr: { type: 'string' },
    augment: { type: 'string' },
    select: { type: 'string' },
    workers: { type: 'string' },
    ...fromCatalogOptions,
  },
  async run(ctx, values) {
    // Before anything is read or cached: the finished model replaces the --out folder whole.
    const outProblem = typeof values.out === 'string' ? outDirProblem(path.resolve(values.out)) : null;
    if (outProblem && !values.force) throw new UsageError(`--out: ${outProblem}; choose another folder, or give --force to replace it`);
    if (values['from-catalog']) return trainFromCatalog(ctx, values);
    const arch = typeof values.arch === 'string' ? values.arch : DEFAULT_ARCHITECTURE;
    if (!isArchitectureName(arch))
      throw new UsageError(`--arch must be one of ${Object.keys(ARCHITECTURES).join(', ')}`);
    // A manifest with a split column: train on its train rows and, without --val, select on its val rows.
    const split = typeof values.split === 'string' ? values.split : 'train';
    const trainSamples = samplesFrom(ctx, values, 'data', split);
    const val = values.val ? samplesFrom(ctx, values, 'val', 'val') : samplesFrom(ctx, values, 'data', 'val');
    if (val.length === 0) throw new UsageError('no validation images: give --val, or --data with a val split');
    // The default model trains with the shortcut-breaking recipe; the paper's models with the paper's.
    const recipeName = values.recipe ?? (arch === 'cxrResNet' ? 'chest' : 'paper');
    if (recipeName !== 'chest' && recipeName !== 'paper') throw new UsageError('--recipe must be chest or paper');
    const base = recipeName === 'chest' ? chestRecipe(arch) : paperRecipe(arch);
    const cw = values['class-weights'] ?? base.classWeights;
    if (cw !== 'inverse' && cw !== 'paper' && cw !== 'none')
      throw new UsageError('--class-weights must be inverse, paper or none');
    const overrides: Partial<TrainRecipe> = {
      epochs: intOption(values, 'epochs', base.epochs),
      seed: intOption(values, 'seed', 1),
      batchSize: intOption(values, 'batch-size', 32),
      classWeights: cw,
    };
    if (values.select !== undefined) {
      if (values.select !== 'worst-source' && values.select !== 'macro-f1' && values.select !== 'last')
        throw new UsageError('--select must be worst-source, macro-f1 or last');
      overrides.selectBy = values.select;
    }
    const maxImages = intOption(values, 'max-images', 0);
    if (maxImages > 0) overrides.maxTrainImages = maxImages;
    if (base.sampling?.kind === 'balanced')
      overrides.sampling = { ...base.sampling, epochSize: intOption(values, 'epoch-size', base.sampling.epochSize) };
    if (values.lr !== undefined) {
      const lr = Number(values.lr);
      if (!(lr > 0 && lr < 1)) throw new UsageError('--lr must be a learning rate in (0, 1)');
      // A continued run starts at its peak rate without warm-up; the paper recipe's stages all scale.
      if (base.lrCosine) overrides.lrCosine = { max: lr, min: lr / 30, warmupEpochs: values['init-from'] ? 0 : base.lrCosine.warmupEpochs };
      else overrides.lrSchedule = base.lrSchedule.map(([e, r]) => [e, (r * lr) / base.lrSchedule[0]![1]]);
    }
    const recipe = recipeName === 'chest' ? chestRecipe(arch, overrides) : paperRecipe(arch, overrides);
    if (typeof values.contrast === 'string') {
      if (recipe.augment.kind === 'chest') throw new UsageError('--contrast applies to the paper recipe only');
      const [lo, hi] = values.contrast.split(',').map(Number);
      if (!(lo! > 0 && hi! >= lo!)) throw new UsageError('--contrast must be lo,hi with 0 < lo <= hi');
      recipe.augment.contrast = [lo!, hi!];
    }
    if (typeof values.augment === 'string') recipe.augment = augmentOverrides(recipe.augment, values.augment);
    const services = ctx.services();
    const outDir = path.resolve(
      typeof values.out === 'string' ? values.out : path.join(services.dataDir, 'models', `${arch}-${Date.now()}`),
    );
    ctx.progress(
      `train: ${trainSamples.length} images ${JSON.stringify(classCounts(trainSamples))}, val ${val.length}; ${arch}, ${recipe.epochs} epochs → ${outDir}`,
    );
    let lastBatchLog = 0;
    const onEvent = (e: TrainEvent): void => {
      if (e.type === 'cache') {
        if (e.done === e.total || e.done % 1000 === 0) ctx.progress(`decoding ${e.split}: ${e.done}/${e.total}`);
      } else if (e.type === 'batch') {
        const now = Date.now();
        if (now - lastBatchLog > 10_000 || e.batch === e.batches) {
          lastBatchLog = now;
          ctx.progress(
            `epoch ${e.epoch + 1}/${e.epochs} batch ${e.batch}/${e.batches} loss ${e.loss.toFixed(4)} acc ${e.accuracy.toFixed(3)} ` +
              `${e.imgPerS.toFixed(1)} img/s ETA ${fmt(e.etaS)} [${e.backend}]`,
          );
        }
      } else if (e.type === 'epoch') {
        const r = e.record;
        ctx.progress(
          `epoch ${r.epoch + 1}/${e.epochs} done: loss ${r.loss.toFixed(4)} acc ${r.accuracy.toFixed(3)} | val loss ${r.valLoss.toFixed(4)} ` +
            `acc ${r.valAccuracy.toFixed(3)} macroF1 ${r.valMacroF1.toFixed(3)} recall ${JSON.stringify(e.valRecall)} lr ${r.lr.toExponential(2)} ` +
            `${JSON.stringify(e.valBySource)}${e.best ? ' (best)' : ''} ${r.imgPerS.toFixed(1)} img/s, ${fmt(r.seconds)}`,
        );
      } else if (e.type === 'resumed') ctx.progress(`resumed after epoch ${e.epoch}`);
    };
    let deadline: number | undefined;
    if (typeof values.deadline === 'string') {
      deadline = Date.parse(values.deadline);
      if (Number.isNaN(deadline)) throw new UsageError(`--deadline ${values.deadline} is not a date/time`);
    }
    const job = startTrainingJob(
      {
        input: { train: trainSamples, val },
        options: {
          recipe,
          outDir,
          resume: Boolean(values.resume),
          // Continue from a model folder of the same architecture (its weights start the run).
          initFrom: typeof values['init-from'] === 'string' ? path.resolve(values['init-from']) : undefined,
          deadline,
          workers: workersOption(values.workers),
          name: typeof values.name === 'string' ? values.name : undefined,
          risks: defaultRisks(trainSamples.map((s) => s.source)),
        },
      },
      (m) => {
        if (m.type === 'event') onEvent(m.event);
      },
    );
    const stop = (): void => {
      ctx.progress('cancelling after this batch (resume with --resume)…');
      job.cancel();
    };
    process.once('SIGINT', stop);
    const { result } = await job.result.finally(() => process.off('SIGINT', stop));
    let modelId: string | null = null;
    if (result.status === 'completed' && result.outDir) {
      modelId = registerModel(services, result.outDir, { activate: Boolean(values.activate) }).id;
    }
    const m = result.card?.valMetrics;
    return {
      status: result.status,
      stoppedEarly: result.stoppedEarly ?? false,
      model: result.outDir,
      modelId,
      architecture: arch,
      epochs: result.history.length,
      bestEpoch: result.card?.bestEpoch ?? null,
      history: result.history,
      val: m ? { accuracy: m.accuracy, macroF1: m.macro.f1, recall: Object.fromEntries(Object.entries(m.perClass).map(([k, c]) => [k, c.recall])), ece: m.ece } : null,
      valBySource: result.card ? Object.fromEntries(Object.entries(result.card.valMetricsBySource ?? {}).map(([s, x]) => [s, { accuracy: x.accuracy, macroF1: x.macro.f1 }])) : {},
    };
  },
};

/** The chest augmentation's probabilities a stage of the default's training sets (scripts/train-default.sh). */
const AUGMENT_PROBABILITIES = ['borderMask', 'letterbox', 'text'] as const;

/** `--augment borderMask=0.3,letterbox=0.15`: the chest recipe's frame and annotation probabilities, each in [0, 1]. */
export function augmentOverrides(augment: TrainRecipe['augment'], spec: string): TrainRecipe['augment'] {
  if (augment.kind !== 'chest') throw new UsageError('--augment applies to the chest recipe only');
  const out = { ...augment };
  for (const part of spec.split(',')) {
    const [key, value] = part.split('=');
    const p = Number(value);
    if (!AUGMENT_PROBABILITIES.includes(key as (typeof AUGMENT_PROBABILITIES)[number]))
      throw new UsageError(`--augment: ${key} is not one of ${AUGMENT_PROBABILITIES.join(', ')}`);
    if (value === undefined || value.trim() === '' || !(p >= 0 && p <= 1)) throw new UsageError(`--augment: ${key} must be a probability in [0, 1], got ${String(value)}`);
    out[key as (typeof AUGMENT_PROBABILITIES)[number]] = p;
  }
  return out;
}

/** The card's shortcut warnings, from what is known about the shared data sets. */
function defaultRisks(sources: string[]): string[] {
  const risks = [
    'Validation figures come from the val split, which was used to pick the best epoch: they are optimistic; judge the model on held-out data.',
  ];
  if (sources.includes('cxr3') && sources.includes('nih')) {
    risks.unshift(
      'Shortcut risk: cxr3 NORMAL and PNEUMONIA are pediatric (Kermany, ages 1-5) and COVID-19 comes from other hospitals than adult NORMAL and PNEUMONIA (NIH); balanced sampling and augmentation reduce, but cannot remove, site and age cues. Adult pneumonia has only 360 training films, NLP-labelled.',
    );
  } else if (sources.includes('cxr3')) {
    risks.unshift(
      'Shortcut risk: every PNEUMONIA training image (Kermany) and every cxr3 NORMAL image is pediatric (ages 1-5), while COVID-19 images are adults; the model may use age or image style. Adult normals from the adult set reduce this for NORMAL, but PNEUMONIA remains all pediatric, so adult pneumonia may be called COVID-19 or NORMAL.',
    );
  }
  return risks;
}
