import fs from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../workers/startWorker';
import { ARCHITECTURES } from '../models/architectures';
import type { Sample } from '../datasets/dataset';
import { paperRecipe, type TrainRecipe } from './recipe';
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
import type { TrainingWorkerInput, TrainingWorkerMessage } from './protocol';
import { activeModelRef, ensureBuiltinRegistered } from '../models/activeModel';
import { requireChosenFolders } from '../access/folderAccess';

/** Batch points kept for a reopened view; older ones are thinned, the chart still spans the run. */
const MAX_BATCH_POINTS = 4000;

export const modelsDir = (dataDir: string): string => path.join(dataDir, 'models');
export const stagingRoot = (dataDir: string): string => path.join(modelsDir(dataDir), '.staging');

interface CurrentRun {
  runId: number;
  worker: Worker;
  phase: TrainingPhase;
  backend: TrainingBackend | null;
  config: TrainingConfig;
  batches: BatchPoint[];
  epochs: EpochPoint[];
  stagingDir: string;
  done: Promise<TrainingDone>;
}

/** The augmentation toggles as the model issue's recipe spells them. */
export function recipeFor(config: TrainingConfig): TrainRecipe {
  const arch = ARCHITECTURES[config.architecture];
  const size = arch.inputSize;
  return paperRecipe(config.architecture, {
    epochs: config.epochs,
    batchSize: config.batchSize,
    seed: config.seed,
    lrSchedule: config.lrSchedule.map((s) => [s.fromEpoch, s.lr] as [number, number]),
    classWeights: config.classWeights,
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
    const input: TrainingWorkerInput = {
      runId,
      train: splits.train.map(toSample),
      val: splits.val.map(toSample),
      test: splits.test.map(toSample),
      recipe: recipeFor(config),
      initFrom: config.start === 'fine-tune' ? active!.dir : null,
      baseline: active ? { id: active.id, dir: active.dir } : null,
      stagingDir,
      sensitivity: config.sensitivity,
      name: `${config.architecture} local ${stamp.slice(0, 10)}`,
      version: `local-${runId}-${stamp.replace(/[-:]/g, '').slice(0, 13)}`,
      risks: [
        'Trained on this site\'s labelled images: its test figures come from a small local split and carry wide uncertainty.',
        ...(active?.card.risks ?? []),
      ],
      cardExtras: { runId, dataset: summary, config, parentModel: active?.id ?? null },
    };
    try {
      fs.mkdirSync(stagingDir, { recursive: true });
      const worker = startWorker('training', { workerData: input });
      const run: CurrentRun = {
        runId,
        worker,
        phase: 'preparing',
        backend: null,
        config,
        batches: [],
        epochs: [],
        stagingDir,
        done: Promise.resolve(null as unknown as TrainingDone),
      };
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

  private watch(run: CurrentRun): Promise<TrainingDone> {
    return new Promise<TrainingDone>((resolve) => {
      let settled = false;
      const settle = (outcome: Omit<TrainingDone, 'runId'>): void => {
        if (settled) return;
        settled = true;
        resolve(this.end(run.runId, run.stagingDir, outcome));
      };
      run.worker.on('message', (m: TrainingWorkerMessage) => {
        switch (m.type) {
          case 'backend':
            run.backend = { name: m.name, gpu: m.gpu };
            this.progress(run);
            break;
          case 'phase':
            run.phase = m.phase;
            this.progress(run);
            break;
          case 'event': {
            const e = m.event;
            if (e.type === 'cache') {
              run.phase = 'caching';
              this.progress(run, { cache: { done: e.done, total: e.total, split: e.split } });
            } else if (e.type === 'batch') {
              run.phase = 'training';
              if (run.backend) run.backend.workers = e.workers;
              const point: BatchPoint = { epoch: e.epoch, epochs: e.epochs, batch: e.batch, batches: e.batches, loss: e.loss, accuracy: e.accuracy, imgPerS: e.imgPerS, etaS: e.etaS };
              run.batches.push(point);
              if (run.batches.length > MAX_BATCH_POINTS) run.batches = run.batches.filter((_, i) => i % 2 === 0);
              this.progress(run, { batch: point });
            } else if (e.type === 'epoch') {
              const r = e.record;
              const point: EpochPoint = { epoch: r.epoch, lr: r.lr, loss: r.loss, accuracy: r.accuracy, valLoss: r.valLoss, valAccuracy: r.valAccuracy, valMacroF1: r.valMacroF1, imgPerS: r.imgPerS, best: e.best };
              run.epochs.push(point);
              this.progress(run, { epoch: point });
            }
            break;
          }
          case 'result':
            if (m.status === 'cancelled') settle({ status: 'cancelled', error: null, modelId: null, comparison: null });
            else {
              try {
                const modelId = this.install(m.modelDir, m.modelId);
                settle({ status: 'completed', error: null, modelId, comparison: m.comparison });
              } catch (err) {
                settle({ status: 'failed', error: err instanceof Error ? err.message : String(err), modelId: null, comparison: null });
              }
            }
            break;
          case 'error':
            settle({ status: 'failed', error: m.message, modelId: null, comparison: null });
            break;
        }
      });
      run.worker.on('error', (err) => settle({ status: 'failed', error: err.message, modelId: null, comparison: null }));
      run.worker.on('exit', (code) =>
        settle({ status: 'failed', error: `the training worker stopped (exit code ${code}) before it finished`, modelId: null, comparison: null }),
      );
    });
  }

  /** Moves the finished folder out of staging (one rename) and only then registers it. */
  private install(stagedDir: string, modelId: string): string {
    const finalDir = path.join(modelsDir(this.s.dataDir), modelId);
    if (fs.existsSync(finalDir)) throw new Error(`training/trainingService.ts: ${finalDir} already exists`);
    fs.renameSync(stagedDir, finalDir);
    try {
      return registerModel(this.s, finalDir).id!;
    } catch (err) {
      fs.rmSync(finalDir, { recursive: true, force: true });
      throw err;
    }
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
    this.current.worker.postMessage('cancel');
    return true;
  }

  /** Ends the worker at once, as a crash would (app quit; the crash test). The run ends 'failed'. */
  async terminate(): Promise<TrainingDone | null> {
    const run = this.current;
    if (!run) return null;
    await run.worker.terminate();
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
