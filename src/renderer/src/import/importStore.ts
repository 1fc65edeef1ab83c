import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ImportProgress, ImportSummary } from '@shared/import';
import { errorMessage } from '../components/format';

/** The automatic prediction after an import, as the panel shows it. */
interface PredictProgressView {
  done: number;
  total: number;
  state: 'running' | 'done' | 'failed';
  message?: string;
}

/**
 * One import at a time: the chosen folder, live progress from `import.progress`, the summary from
 * `import.done`, then the automatic prediction of the new eligible images.
 */
export const useImportStore = defineStore('importJob', () => {
  const folder = ref<string | null>(null);
  const labelsFromFolders = ref(true);
  const running = ref(false);
  const progress = ref<ImportProgress | null>(null);
  const summary = ref<ImportSummary | null>(null);
  const error = ref<string | null>(null);
  const prediction = ref<PredictProgressView | null>(null);
  let subscribed = false;
  const doneListeners = new Set<() => void>();

  function subscribe(): void {
    if (subscribed) return;
    subscribed = true;
    window.cxr.on('import.progress', (p) => {
      progress.value = p;
      running.value = true;
    });
    window.cxr.on('import.done', (s) => {
      summary.value = s;
      running.value = false;
      if (progress.value) progress.value = { ...progress.value, done: progress.value.total };
      doneListeners.forEach((l) => l());
      if (s.imported > 0) void predictNew();
    });
  }

  function showPrediction(p: PredictProgressView): void {
    prediction.value = p;
    if (p.done >= p.total) doneListeners.forEach((l) => l());
  }

  /** Predicts every eligible image the active model has not predicted yet (no ids: all of them). */
  async function predictNew(): Promise<void> {
    showPrediction({ done: 0, total: 0, state: 'running' });
    const off = window.cxr.on('predict.progress', (p) => showPrediction({ done: p.done, total: p.total, state: p.done >= p.total ? 'done' : 'running' }));
    try {
      await window.cxr.predict.images({});
      showPrediction({ done: 1, total: 1, state: 'done' });
    } catch (err) {
      prediction.value = { done: 0, total: 0, state: 'failed', message: errorMessage(err) };
    } finally {
      off();
    }
  }

  async function chooseFolder(): Promise<void> {
    error.value = null;
    const res = await window.cxr.import.chooseFolder();
    if (res.folder) folder.value = res.folder;
  }

  /** A folder dropped on the window: the desktop shell resolves it to a path and allows it as a root. */
  async function dropFolder(file: File): Promise<void> {
    error.value = null;
    if (!window.cxrDrop) {
      error.value = 'Dropping folders needs the desktop app; use Choose folder.';
      return;
    }
    const res = await window.cxrDrop.registerDroppedFolder(file);
    if (res.folder) folder.value = res.folder;
    else error.value = 'That was not a folder.';
  }

  async function start(): Promise<void> {
    if (!folder.value || running.value) return;
    subscribe();
    error.value = null;
    summary.value = null;
    prediction.value = null;
    progress.value = { importId: 0, done: 0, total: 0, current: null, errors: 0 };
    running.value = true;
    try {
      await window.cxr.import.start({ roots: [folder.value], labelsFromFolders: labelsFromFolders.value });
    } catch (err) {
      running.value = false;
      error.value = errorMessage(err);
    }
  }

  async function cancel(): Promise<void> {
    await window.cxr.import.cancel();
  }

  /** Called when the catalog changed under us (import finished, predictions written). */
  function onCatalogChanged(listener: () => void): () => void {
    doneListeners.add(listener);
    return () => doneListeners.delete(listener);
  }

  return { folder, labelsFromFolders, running, progress, summary, error, prediction, subscribe, chooseFolder, dropFolder, start, cancel, onCatalogChanged };
});
