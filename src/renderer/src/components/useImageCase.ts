import { ref, shallowRef, watch, type Ref } from 'vue';
import { whileMounted } from './whileMounted';
import type { ImageDetail, ImagePixels } from '@shared/image';
import type { HeatmapView } from './heatmapColors';
import { useViewerStore } from './viewerStore';
import { errorMessage } from './format';

/**
 * Loads what the viewer shows for one image: pixels, detail (row, tags, prediction, reviews,
 * study) and, once it has a prediction, the heatmap. Late answers for an image the user has
 * already left are dropped. When the catalog's predictions change under an open case (a model
 * activated and the catalog re-predicted, or a prediction run finished), the detail and heatmap
 * are read again, so the panel never shows the previous model's prediction as current.
 */
export function useImageCase(imageId: Readonly<Ref<number | null>>) {
  const vs = useViewerStore();
  const image = shallowRef<ImagePixels | null>(null);
  const detail = shallowRef<ImageDetail | null>(null);
  const heatmap = shallowRef<HeatmapView | null>(null);
  const heatmapState = ref<'none' | 'loading' | 'ready' | 'failed'>('none');
  const loading = ref(false);
  const message = ref<string | null>(null);
  let seq = 0;

  async function loadHeatmap(id: number, mine: number): Promise<void> {
    heatmapState.value = 'loading';
    try {
      const h = await vs.heatmap(id);
      if (mine !== seq) return;
      heatmap.value = h;
      heatmapState.value = 'ready';
    } catch {
      if (mine === seq) heatmapState.value = 'failed';
    }
  }

  watch(
    imageId,
    async (id) => {
      const mine = ++seq;
      heatmap.value = null;
      heatmapState.value = 'none';
      if (id === null) {
        image.value = null;
        detail.value = null;
        return;
      }
      loading.value = true;
      message.value = null;
      const [px, d] = await Promise.allSettled([vs.pixels(id), vs.detail(id)]);
      if (mine !== seq) return;
      loading.value = false;
      image.value = px.status === 'fulfilled' ? px.value : null;
      detail.value = d.status === 'fulfilled' ? d.value : null;
      if (px.status === 'rejected') message.value = errorMessage(px.reason);
      if (detail.value?.prediction) void loadHeatmap(id, mine);
    },
    { immediate: true },
  );

  /** Reads the detail (and heatmap) of the image on show again; its pixels have not changed. */
  async function refreshPrediction(): Promise<void> {
    const id = imageId.value;
    if (id === null) return;
    // Not a new load: a navigation meanwhile (seq moves on) wins over this answer.
    const mine = seq;
    const d = await vs.detail(id).catch(() => null);
    if (mine !== seq || !d) return;
    const before = detail.value?.prediction;
    detail.value = d;
    // The heatmap is the prediction's: read again only when another prediction took its place.
    if (d.prediction?.modelId === before?.modelId && d.prediction?.at === before?.at) return;
    heatmap.value = null;
    heatmapState.value = 'none';
    if (d.prediction) void loadHeatmap(id, mine);
  }

  whileMounted(() => vs.onPredictionsChanged(() => void refreshPrediction()));

  return { image, detail, heatmap, heatmapState, loading, message };
}
