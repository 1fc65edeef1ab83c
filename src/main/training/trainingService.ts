import fs from 'node:fs';
import path from 'node:path';
import { ARCHITECTURES } from '../models/architectures';
import type { Sample } from '../datasets/dataset';
import { chestRecipe, paperRecipe, type TrainRecipe } from './recipe';
import { registerModel } from '../models/registry';
import type { Services } from '../services/services';
import type { LongLived, ServiceRegistration } from '../services/serviceRegistry';
import { CxrError } from '../../shared/errors';
import type {
  BatchPoint,
  DatasetSummary,
  EpochPoint,
  TrainingConfig,
  TrainingDone,
  TrainingBackend,
  TrainingPhase,
  TrainingStatus,
} from '../../shared/training';
import { splitByPatient, summarizeSplits, type Splits } from '../datasets/patientSplit';
import { collectTrainingImages, type LabelledImage } from '../datasets/catalogLabels';
import { createRun, finishRun, lastFinishedRun, listRuns, recoverInterruptedRuns, runningRunIds } from '../catalog/trainingRuns';
import { modelRow } from '../catalog/models';
import type { TrainingMessage, TrainingRequest } from './protocol';
import { startTrainingJob, type TrainingJob } from './trainingJob';
import { activeModelRef, ensureBuiltinRegistered } from '../models/activeModel';
import { requireChosenFolders } from '../access/folderAccess';

/** Batch points kept for a reopened view; older ones are thinned, the chart still spans the run. */
const MAX_BATCH_POINTS = 4000;

export const modelsDir = (dataDir: string): string => path.join(dataDir, 'models');
export const stagingRoot = (dataDir: string): string => path.join(modelsDir(dataDir), '.staging');
/** Inside a model folder between its move out of staging and its registration: the install is not finished. */
export const INSTALLING_MARKER = '.installing';

interface CurrentRun {
  runId: number;
  job: TrainingJob;
  phase: TrainingPhase;
  backend: TrainingBackend | null;
  config: TrainingConfig;
  batches: BatchPoint[];
  epochs: EpochPoint[];
  stagingDir: string;
  done: Promise<TrainingDone>;
}

/**
 * The recipe for a run from the Training view: the default model's (balanced epochs, shortcut
 * augmentation, cosine decay from the first stage's rate) for cxrResNet, the paper's for its
 * models. The view's augmentation toggles switch the matching parts off.
 */
export function recipeFor(config: TrainingConfig, trainImages: number): TrainRecipe {
  const size = ARCHITECTURES[config.architecture].inputSize;
  const common = { epochs: config.epochs, batchSize: config.batchSize, seed: config.seed, classWeights: config.classWeights };
  if (config.architecture === 'cxrResNet') {
    const base = chestRecipe('cxrResNet');
    const a = config.augment;
    if (base.augment.kind !== 'chest') throw new Error('the default recipe lost its augmentation');
    const lr = config.lrSchedule[0]!.lr;
    return chestRecipe('cxrResNet', {
      ...common,
      lrCosine: { max: lr, min: lr / 50, warmupEpochs: Math.min(1, config.epochs - 1) },
      // An epoch is as many images as the local train split holds, drawn balanced by class.
      sampling: { kind: 'balanced', epochSize: Math.max(config.batchSize, trainImages), sourcePower: 0 },
      selectBy: 'macro-f1',
      augment: {
        ...base.augment,
        flip: a.flip,
        ...(a.brightness ? {} : { brightness: 0 }),
        ...(a.contrast ? {} : { contrast: [1, 1] as [number, number], gamma: [1, 1] as [number, number] }),
        ...(a.crop ? {} : { scale: [1, 1] as [number, number], rotateDeg: 0 }),
      },
    });
  }
  return paperRecipe(config.architecture, {
    ...common,
    lrSchedule: config.lrSchedule.map((s) => [s.fromEpoch, s.lr] as [number, number]),
    augment: {
      flip: config.augment.flip,
      brightness: config.augment.brightness ? 0.1 : 0,
      contrast: config.augment.contrast ? [0.1, 0.2] : null,
      // The paper's resize 96 → random crop 80, scaled to the input; off means no crop at all.
      resize: config.augment.crop ? Math.round(size * 1.2) : size,
      crop: size,
    },
  });
}

const toSample = (i: LabelledImage): Sample => ({ file: i.file, label: i.label, source: i.labelSource === 'folder' ? 'folder' : 'catalog' });

/**
 * Runs one training at a time from the catalog: collects labels, splits by patient, starts the
 * training worker, relays its progress as `training.progress` events, and on success moves the
 * finished folder into the models folder and registers it (inactive). A run that fails, is
 * cancelled or whose worker dies leaves the active model and the registry untouched.
 */
export class TrainingService implements LongLived {
  /** Made when the handler map is built (app start): creating it marks runs a dead process left 'running' as failed. */
  static readonly REGISTRATION: ServiceRegistration<'training', TrainingService> = { name: 'training', create: (s) => new TrainingService(s) };

  private current: CurrentRun | null = null;

  constructor(private readonly s: Services) {
    recoverInterruptedRuns(s.catalog);
    this.removeOrphanStaging();
    this.finishInterruptedInstalls();
  }

  /**
   * An install killed between its rename and its registration left a model folder with the
   * marker and no catalog row: it is removed (the run is already recorded failed, and nothing
   * refers to it). One killed after registering only lost the marker's removal: the marker goes.
   */
  private finishInterruptedInstalls(): void {
    const root = modelsDir(this.s.dataDir);
    if (!fs.existsSync(root)) return;
    for (const name of fs.readdirSync(root)) {
      const dir = path.join(root, name);
      if (name.startsWith('.') || !fs.existsSync(path.join(dir, INSTALLING_MARKER))) continue;
      if (modelRow(this.s.catalog, name)) fs.rmSync(path.join(dir, INSTALLING_MARKER), { force: true });
      else fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Staging folders of runs no longer running: left by a crash; never registered. */
  private removeOrphanStaging(): void {
    const root = stagingRoot(this.s.dataDir);
    if (!fs.existsSync(root)) return;
    const running = new Set(runningRunIds(this.s.catalog).map((id) => `run-${id}`));
    for (const name of fs.readdirSync(root)) if (!running.has(name)) fs.rmSync(path.join(root, name), { recursive: true, force: true });
  }

  prepareData(folders: readonly string[], seed: number): { images: LabelledImage[]; splits: Splits; summary: DatasetSummary } {
    const images = collectTrainingImages(this.s, requireChosenFolders(this.s, folders));
    const splits = splitByPatient(images, seed);
    return { images, splits, summary: summarizeSplits(images, splits, seed) };
  }

  dataset(folders: readonly string[], seed: number): DatasetSummary {
    return this.prepareData(folders, seed).summary;
  }

  get running(): boolean {
    return this.current !== null;
  }

  start(config: TrainingConfig): { runId: number; done: Promise<TrainingDone> } {
    if (this.current) throw new CxrError('BUSY', `training run ${this.current.runId} is still running`);
    const { splits, summary } = this.prepareData(config.folders, config.seed);
    if (!summary.trainable) throw new CxrError('BAD_INPUT', `cannot train: ${summary.warnings.join('; ') || 'no labelled images'}`);
    ensureBuiltinRegistered(this.s);
    const active = activeModelRef(this.s);
    if (config.start === 'fine-tune') {
      if (!active) throw new CxrError('BAD_INPUT', 'there is no active model to fine-tune; train from scratch');
      if (active.card.architecture !== config.architecture) {
        throw new CxrError('BAD_INPUT', `the active model is ${active.card.architecture}: fine-tuning keeps its architecture (choose it, or train from scratch)`);
      }
    }
    const runId = createRun(this.s.catalog, config, summary, active?.id ?? null);
    const stagingDir = path.join(stagingRoot(this.s.dataDir), `run-${runId}`);
    const stamp = new Date().toISOString();
    const request: TrainingRequest = {
      input: { train: splits.train.map(toSample), val: splits.val.map(toSample) },
      options: {
        recipe: recipeFor(config, splits.train.length),
        outDir: path.join(stagingDir, 'model'),
        checkpointDir: path.join(stagingDir, 'checkpoint'),
        // Fine-tuning: the parent's weights start the run (same architecture, checked above).
        initFrom: config.start === 'fine-tune' ? active!.dir : undefined,
        name: `${config.architecture} local ${stamp.slice(0, 10)}`,
        version: `local-${runId}-${stamp.replace(/[-:]/g, '').slice(0, 13)}`,
        parent: active?.id ?? null,
        risks: [
          'Trained on this site\'s labelled images: its test figures come from a small local split and carry wide uncertainty.',
          ...(active?.card.risks ?? []),
        ],
        // Both cores where that pays (a compact model on wasm): retraining on a laptop without a GPU.
        workers: 'auto',
      },
      finish: {
        sensitivity: config.sensitivity,
        test: splits.test.map(toSample),
        baseline: active ? { id: active.id, dir: active.dir } : null,
        cardExtras: { runId, dataset: summary, config, parentModel: active?.id ?? null },
      },
    };
    try {
      fs.mkdirSync(stagingDir, { recursive: true });
      const run: CurrentRun = {
        runId,
        job: null as unknown as TrainingJob,
        phase: 'preparing',
        backend: null,
        config,
        batches: [],
        epochs: [],
        stagingDir,
        done: Promise.resolve(null as unknown as TrainingDone),
      };
      run.job = startTrainingJob(request, (m) => this.onMessage(run, m));
      run.done = this.watch(run);
      this.current = run;
      this.progress(run);
      return { runId, done: run.done };
    } catch (err) {
      this.end(runId, stagingDir, { status: 'failed', error: err instanceof Error ? err.message : String(err), modelId: null, comparison: null });
      throw err;
    }
  }

  private progress(run: CurrentRun, extra: Partial<Parameters<Services['events']['emit']>[1]> = {}): void {
    this.s.events.emit('training.progress', { runId: run.runId, phase: run.phase, backend: run.backend, ...extra });
  }

  /** Relays the worker's progress as `training.progress` events and keeps it for a reopened view. */
  private onMessage(run: CurrentRun, m: Exclude<TrainingMessage, { type: 'result' | 'error' }>): void {
    if (m.type === 'backend') run.backend = { name: m.name, gpu: m.gpu };
    else if (m.type === 'phase') run.phase = m.phase;
    else {
      const e = m.event;
      if (e.type === 'cache') {
        run.phase = 'caching';
        return this.progress(run, { cache: { done: e.done, total: e.total, split: e.split } });
      }
      if (e.type === 'batch') {
        run.phase = 'training';
        if (run.backend) run.backend.workers = e.workers;
        const point: BatchPoint = { epoch: e.epoch, epochs: e.epochs, batch: e.batch, batches: e.batches, loss: e.loss, accuracy: e.accuracy, imgPerS: e.imgPerS, etaS: e.etaS };
        run.batches.push(point);
        if (run.batches.length > MAX_BATCH_POINTS) run.batches = run.batches.filter((_, i) => i % 2 === 0);
        return this.progress(run, { batch: point });
      }
      if (e.type === 'epoch') {
        const r = e.record;
        const point: EpochPoint = { epoch: r.epoch, lr: r.lr, loss: r.loss, accuracy: r.accuracy, valLoss: r.valLoss, valAccuracy: r.valAccuracy, valMacroF1: r.valMacroF1, imgPerS: r.imgPerS, best: e.best };
        run.epochs.push(point);
        return this.progress(run, { epoch: point });
      }
      return;
    }
    this.progress(run);
  }

  /** Ends the run when the job settles: installs a completed model, else records why not. */
  private async watch(run: CurrentRun): Promise<TrainingDone> {
    let outcome: Omit<TrainingDone, 'runId'>;
    try {
      const { result, comparison } = await run.job.result;
      if (result.status === 'cancelled' || !result.outDir || !result.card) outcome = { status: 'cancelled', error: null, modelId: null, comparison: null };
      else outcome = { status: 'completed', error: null, modelId: this.install(result.outDir, result.card.id), comparison };
    } catch (err) {
      outcome = { status: 'failed', error: err instanceof Error ? err.message : String(err), modelId: null, comparison: null };
    }
    return this.end(run.runId, run.stagingDir, outcome);
  }

  /**
   * Moves the finished folder out of staging (one rename) and only then registers it. The folder
   * carries INSTALLING_MARKER until it is registered, so a kill in between is undone at the next
   * start (finishInterruptedInstalls) instead of leaving an orphan model folder.
   */
  private install(stagedDir: string, modelId: string): string {
    const finalDir = path.join(modelsDir(this.s.dataDir), modelId);
    if (fs.existsSync(finalDir)) throw new Error(`${finalDir} already exists`);
    fs.writeFileSync(path.join(stagedDir, INSTALLING_MARKER), '');
    fs.renameSync(stagedDir, finalDir);
    let id: string;
    try {
      id = registerModel(this.s, finalDir).id!;
    } catch (err) {
      fs.rmSync(finalDir, { recursive: true, force: true });
      throw err;
    }
    fs.rmSync(path.join(finalDir, INSTALLING_MARKER), { force: true });
    return id;
  }

  private end(runId: number, stagingDir: string, outcome: Omit<TrainingDone, 'runId'>): TrainingDone {
    // The app may have closed the catalog on quit: the run stays 'running' and the next start
    // marks it failed (recoverInterruptedRuns) and removes its staging folder.
    if (this.s.catalog.open) {
      finishRun(this.s.catalog, runId, outcome);
      fs.rmSync(stagingDir, { recursive: true, force: true });
    }
    if (this.current?.runId === runId) this.current = null;
    const done: TrainingDone = { runId, ...outcome };
    this.s.events.emit('training.done', done);
    return done;
  }

  /** Stops after the current batch (or evaluation step); the run ends 'cancelled'. */
  cancel(): boolean {
    if (!this.current) return false;
    this.current.job.cancel();
    return true;
  }

  /** Ends the worker at once, as a crash would (app quit; the crash test). The run ends 'failed'. */
  async terminate(): Promise<TrainingDone | null> {
    const run = this.current;
    if (!run) return null;
    await run.job.terminate();
    return run.done;
  }

  /** Ends the run in flight (app quit): it is recorded 'failed' before the catalog closes. */
  async close(): Promise<void> {
    await this.terminate();
  }

  /** Settles when the running run ends; null when none runs. */
  whenDone(): Promise<TrainingDone> | null {
    return this.current?.done ?? null;
  }

  status(): TrainingStatus {
    const r = this.current;
    return {
      running: r ? { runId: r.runId, phase: r.phase, backend: r.backend, config: r.config, batches: r.batches, epochs: r.epochs } : null,
      last: lastFinishedRun(this.s.catalog),
    };
  }

  runs(limit: number) {
    return listRuns(this.s.catalog, limit);
  }
}
