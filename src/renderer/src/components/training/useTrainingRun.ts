import { onBeforeUnmount, onMounted, ref, shallowRef } from 'vue';
import type { BatchPoint, Comparison, EpochPoint, TrainingBackend, TrainingDone, TrainingPhase, TrainingProgress } from '@shared/training';

/**
 * The live view of the current (or last) training run: filled from `training.status` on mount,
 * then from `training.progress` / `training.done` events. The catalog holds the truth; this only
 * mirrors what main reports.
 */
export function useTrainingRun() {
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

  const offs: (() => void)[] = [];
  onMounted(() => {
    offs.push(window.cxr.on('training.progress', onProgress), window.cxr.on('training.done', onDone));
    void refresh();
  });
  onBeforeUnmount(() => offs.forEach((off) => off()));

  return { runId, running, phase, backend, cache, batches, epochs, version, done, comparison, refresh };
}
