import { defineStore } from 'pinia';
import { ref, shallowRef, watch } from 'vue';
import type { CsvExport, CsvExportProgress } from '@shared/export';
import { DEFAULT_SORT, type WorklistCounts, type WorklistFilters, type WorklistRow, type WorklistSort } from '@shared/worklist';

/** Rows are fetched in pages of this size; the table asks only for the pages it shows. */
const PAGE_SIZE = 100;

/**
 * The worklist as a window onto SQLite: filters and sort live here, rows are cached by page and
 * dropped whenever the query or the catalog changes. Nothing is filtered or sorted here.
 */
export const useWorklistStore = defineStore('worklist', () => {
  const filters = ref<WorklistFilters>({});
  const sort = ref<WorklistSort>({ ...DEFAULT_SORT });
  const total = ref(0);
  const threshold = ref(0.5);
  const lastQueryMs = ref(0);
  const counts = ref<WorklistCounts | null>(null);
  const error = ref<string | null>(null);
  /** Bumped on every invalidation so that late answers for an old query are dropped. */
  const generation = ref(0);
  const pages = shallowRef(new Map<number, WorklistRow[]>());
  const pending = new Set<string>();
  const loaded = ref(false);

  function invalidate(): void {
    generation.value++;
    pages.value = new Map();
    pending.clear();
  }

  async function loadPage(page: number): Promise<void> {
    const gen = generation.value;
    const key = `${gen}:${page}`;
    if (pages.value.has(page) || pending.has(key)) return;
    pending.add(key);
    try {
      const res = await window.cxr.worklist.query({
        filters: filters.value,
        sort: sort.value,
        offset: page * PAGE_SIZE,
        limit: PAGE_SIZE,
      });
      if (gen !== generation.value) return;
      const next = new Map(pages.value);
      next.set(page, res.rows);
      pages.value = next;
      total.value = res.total;
      threshold.value = res.threshold;
      lastQueryMs.value = res.queryMs;
      loaded.value = true;
      error.value = null;
    } catch (err) {
      error.value = err instanceof Error ? err.message : String(err);
    } finally {
      pending.delete(key);
    }
  }

  /** Makes sure rows [first, last] are loaded or on their way. */
  function ensureRange(first: number, last: number): void {
    const p0 = Math.max(0, Math.floor(first / PAGE_SIZE));
    const p1 = Math.floor(Math.max(first, last) / PAGE_SIZE);
    for (let p = p0; p <= p1; p++) void loadPage(p);
  }

  function rowAt(index: number): WorklistRow | undefined {
    return pages.value.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  async function refreshCounts(): Promise<void> {
    counts.value = await window.cxr.worklist.counts();
  }

  /** Re-reads everything shown: after an import, a review or a settings change. */
  async function refresh(): Promise<void> {
    invalidate();
    await Promise.all([loadPage(0), refreshCounts()]);
  }

  watch([filters, sort], () => void refresh(), { deep: true });

  // The search box waits 200 ms after typing before querying, so SQLite is asked once per word;
  // anything that reads the view (export) commits the pending text first.
  let textTimer: ReturnType<typeof setTimeout> | undefined;
  let pendingText: string | undefined | null = null;
  function setText(t: string): void {
    pendingText = t || undefined;
    clearTimeout(textTimer);
    textTimer = setTimeout(commitText, 200);
  }
  function commitText(): void {
    clearTimeout(textTimer);
    if (pendingText === null) return;
    const text = pendingText;
    pendingText = null;
    if (text !== filters.value.text) filters.value = { ...filters.value, text };
  }

  /** Writes the rows in view (filters and sort as shown, pending search text included) to a CSV file the user picks. */
  function exportCsv(includeIdentifiers: boolean): Promise<CsvExport> {
    commitText();
    return window.cxr.export.csv({ filters: filters.value, sort: sort.value, includeIdentifiers });
  }

  /** Stops the export in progress; main leaves the chosen file as it was. */
  async function cancelExport(): Promise<boolean> {
    return (await window.cxr.export.cancel()).cancelled;
  }

  /** Rows written by the export in progress, as main streams it to the file. */
  function onExportProgress(listener: (p: CsvExportProgress) => void): () => void {
    return window.cxr.on('export.progress', listener);
  }

  /** Keeps the header counts current while the app runs: a review changes them from any view. */
  function listen(): () => void {
    return window.cxr.on('review.changed', () => void refreshCounts());
  }

  return { setText, filters, sort, total, threshold, lastQueryMs, counts, error, pages, loaded, ensureRange, rowAt, refresh, refreshCounts, exportCsv, cancelExport, onExportProgress, listen };
});
