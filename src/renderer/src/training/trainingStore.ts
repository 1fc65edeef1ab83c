import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type {
  BatchPoint,
  Comparison,
  DatasetSummary,
  EpochPoint,
  TrainingBackend,
  TrainingConfigInput,
  TrainingDone,
  TrainingPhase,
  TrainingProgress,
} from '@shared/training';
import { errorMessage } from '../components/format';

/**
 * The training view's mirror of main: the current (or last) run, filled from `training.status`
 * and then from `training.progress` / `training.done`, and the data set a run would train on.
 * The catalog holds the truth; this only shows what main reports.
 */
export const useTrainingStore = defineStore('training', () => {
  const runId = ref<number | null>(null);
  const running = ref(false);
  const phase = ref<TrainingPhase | null>(null);
  const backend = ref<TrainingBackend | null>(null);
  const cache = ref<{ done: number; total: number; split: string } | null>(null);
  // Point arrays are not deeply reactive (thousands of batches): `version` says when they grew.
  const batches = shallowRef<BatchPoint[]>([]);
  const epochs = shallowRef<EpochPoint[]>([]);
  const version = ref(0);
  const done = ref<TrainingDone | null>(null);
  const comparison = ref<Comparison | null>(null);
  const dataset = ref<DatasetSummary | null>(null);
  const datasetError = ref<string | null>(null);
  /** The last data set asked for, counted again when a review changes a label. */
  let datasetQuery = { folders: [] as string[], seed: 1 };

  function reset(id: number): void {
    runId.value = id;
    batches.value = [];
    epochs.value = [];
    done.value = null;
    comparison.value = null;
    cache.value = null;
    version.value++;
  }

  function onProgress(p: TrainingProgress): void {
    if (p.runId !== runId.value) reset(p.runId);
    running.value = true;
    phase.value = p.phase;
    if (p.backend) backend.value = p.backend;
    if (p.cache) cache.value = p.cache;
    if (p.batch) batches.value.push(p.batch);
    if (p.epoch) epochs.value.push(p.epoch);
    if (p.batch || p.epoch) version.value++;
  }

  function onDone(d: TrainingDone): void {
    if (d.runId !== runId.value) reset(d.runId);
    running.value = false;
    done.value = d;
    comparison.value = d.comparison;
  }

  /** Reads the run in progress (with every point so far) or the last finished one. */
  async function refresh(): Promise<void> {
    const st = await window.cxr.training.status();
    if (st.running) {
      reset(st.running.runId);
      running.value = true;
      phase.value = st.running.phase;
      backend.value = st.running.backend;
      batches.value = [...st.running.batches];
      epochs.value = [...st.running.epochs];
      version.value++;
    } else if (st.last) {
      reset(st.last.id);
      running.value = false;
      done.value = { runId: st.last.id, status: st.last.status as TrainingDone['status'], error: st.last.error, modelId: st.last.modelId, comparison: st.last.comparison };
      comparison.value = st.last.comparison;
    }
  }

  /** Counts what a run would train on: the catalog's labelled images plus `folders`, split by patient with `seed`. */
  async function loadDataset(folders: string[], seed: number): Promise<void> {
    datasetQuery = { folders: [...folders], seed };
    try {
      datasetError.value = null;
      dataset.value = await window.cxr.training.dataset(datasetQuery);
    } catch (err) {
      datasetError.value = errorMessage(err);
    }
  }

  /** Opens the folder dialog for a labelled folder; null when the user cancelled. */
  async function chooseFolder(): Promise<string | null> {
    return (await window.cxr.training.chooseFolder()).folder;
  }

  /** Starts a run; throws what main refused (a bad config, a run already going). */
  async function start(config: TrainingConfigInput): Promise<void> {
    await window.cxr.training.start(config);
  }

  async function cancel(): Promise<void> {
    await window.cxr.training.cancel();
  }

  /** Follows the run while the view shows it, and counts the data again after a review. */
  function listen(): () => void {
    const offs = [
      window.cxr.on('training.progress', onProgress),
      window.cxr.on('training.done', onDone),
      window.cxr.on('review.changed', () => void loadDataset(datasetQuery.folders, datasetQuery.seed)),
    ];
    return () => offs.forEach((off) => off());
  }

  return { running, phase, backend, cache, batches, epochs, version, done, comparison, dataset, datasetError, refresh, loadDataset, chooseFolder, start, cancel, listen };
});
