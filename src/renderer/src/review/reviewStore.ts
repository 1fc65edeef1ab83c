import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Label } from '@shared/labels';
import type { ReviewRecord } from '@shared/review';
import { errorMessage } from '../components/format';

/**
 * The review queue: flagged, unreviewed images in worklist priority order, read from SQLite.
 * A stored review takes its case out of the queue; skipping only moves on.
 */
export const useReviewStore = defineStore('review', () => {
  const queue = ref<number[]>([]);
  const cursor = ref(0);
  const remaining = ref(0);
  const reviewedThisSession = ref(0);
  const last = ref<ReviewRecord | null>(null);
  const error = ref<string | null>(null);
  const busy = ref(false);
  const loaded = ref(false);

  const current = computed(() => queue.value[cursor.value] ?? null);

  async function load(): Promise<void> {
    const page = await window.cxr.worklist.query({ filters: { flagged: true, unreviewed: true, excluded: 'hide' }, limit: 500 });
    queue.value = page.rows.map((r) => r.imageId);
    remaining.value = page.total;
    cursor.value = Math.min(cursor.value, Math.max(0, queue.value.length - 1));
    loaded.value = true;
  }

  async function refreshCount(): Promise<void> {
    remaining.value = (await window.cxr.worklist.counts()).flaggedUnreviewed;
  }

  async function label(l: Label): Promise<void> {
    const id = current.value;
    if (id === null || busy.value) return;
    busy.value = true;
    error.value = null;
    try {
      last.value = await window.cxr.review.submit({ imageId: id, label: l });
      reviewedThisSession.value++;
      const q = queue.value.filter((x) => x !== id);
      queue.value = q;
      if (cursor.value >= q.length) cursor.value = Math.max(0, q.length - 1);
    } catch (err) {
      error.value = errorMessage(err);
      return;
    } finally {
      // The next case is current before keys are taken again; the count refresh need not hold them up.
      busy.value = false;
    }
    await refreshCount();
    if (queue.value.length === 0 && remaining.value > 0) await load();
  }

  function move(d: number): void {
    cursor.value = Math.min(Math.max(0, cursor.value + d), Math.max(0, queue.value.length - 1));
  }

  /** A review stored anywhere (another window, the CLI) changes what is left. */
  function listen(): () => void {
    return window.cxr.on('review.changed', () => void refreshCount());
  }

  return { queue, cursor, remaining, reviewedThisSession, last, error, busy, loaded, current, load, label, move, listen };
});
