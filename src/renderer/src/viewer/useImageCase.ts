import { ref, shallowRef, watch, type Ref } from 'vue';
import type { ImageDetail, ImagePixels } from '@shared/image';
import type { HeatmapView } from './heatmapColors';

/**
 * Loads what the viewer shows for one image: pixels, detail (row, tags, prediction, reviews,
 * study) and, where the prediction group offers it, the heatmap. Late answers for an image the
 * user has already left are dropped.
 */
export function useImageCase(imageId: Readonly<Ref<number | null>>) {
  const image = shallowRef<ImagePixels | null>(null);
  const detail = shallowRef<ImageDetail | null>(null);
  const heatmap = shallowRef<HeatmapView | null>(null);
  const heatmapState = ref<'none' | 'loading' | 'ready' | 'unavailable' | 'failed'>('none');
  const loading = ref(false);
  const message = ref<string | null>(null);
  let seq = 0;

  async function loadHeatmap(id: number, mine: number): Promise<void> {
    heatmapState.value = 'loading';
    try {
      const h = await window.cxr.predict.heatmap({ imageId: id });
      if (mine !== seq) return;
      heatmap.value = { data: h.data, shape: h.shape, layer: h.layer };
      heatmapState.value = 'ready';
    } catch {
      if (mine === seq) heatmapState.value = 'failed';
    }
  }

  async function reloadDetail(): Promise<void> {
    const id = imageId.value;
    if (id === null) return;
    const d = await window.cxr.image.detail({ imageId: id });
    if (id === imageId.value) detail.value = d;
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
      const [px, d] = await Promise.allSettled([window.cxr.image.get({ imageId: id }), window.cxr.image.detail({ imageId: id })]);
      if (mine !== seq) return;
      loading.value = false;
      image.value = px.status === 'fulfilled' ? px.value : null;
      detail.value = d.status === 'fulfilled' ? d.value : null;
      if (px.status === 'rejected') message.value = px.reason instanceof Error ? px.reason.message : String(px.reason);
      if (detail.value?.prediction) void loadHeatmap(id, mine);
    },
    { immediate: true },
  );

  return { image, detail, heatmap, heatmapState, loading, message, reloadDetail };
}
