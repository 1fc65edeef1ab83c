import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ImageDetail, ImagePixels } from '@shared/image';
import { WINDOW_PRESETS } from './hotkeys';
import type { HeatmapView } from './heatmapColors';

/**
 * How the current image is shown (window/level, zoom, pan, invert, heatmap), shared by the viewer
 * and review mode, and the image group's reads from main. Each caller keeps the case it loaded
 * (useImageCase), so the viewer and review never show each other's image.
 */
export const useViewerStore = defineStore('viewer', () => {
  const width = ref(256);
  const center = ref(128);
  const zoom = ref(1);
  const panX = ref(0);
  const panY = ref(0);
  const invert = ref(false);
  const heatmapOn = ref(false);
  const heatmapOpacity = ref(0.45);
  const preset = ref<number | null>(1);

  function applyPreset(n: number): void {
    const p = WINDOW_PRESETS[n - 1];
    if (!p) return;
    width.value = p.width;
    center.value = p.center;
    preset.value = n;
  }
  function fit(): void {
    zoom.value = 1;
    panX.value = 0;
    panY.value = 0;
  }
  function zoomBy(f: number): void {
    zoom.value = Math.min(20, Math.max(0.1, zoom.value * f));
  }
  function reset(): void {
    applyPreset(1);
    fit();
    invert.value = false;
  }
  function windowBy(dw: number, dc: number): void {
    width.value = Math.min(512, Math.max(2, width.value + dw));
    center.value = Math.min(320, Math.max(-64, center.value + dc));
    preset.value = null;
  }

  const pixels = (imageId: number): Promise<ImagePixels> => window.cxr.image.get({ imageId });
  const detail = (imageId: number): Promise<ImageDetail> => window.cxr.image.detail({ imageId });
  const thumbnail = (imageId: number): Promise<ImagePixels> => window.cxr.image.thumbnail({ imageId, size: 96 });
  async function heatmap(imageId: number): Promise<HeatmapView> {
    const h = await window.cxr.predict.heatmap({ imageId });
    return { data: h.data, shape: h.shape, layer: h.layer };
  }

  /** Calls `listener` when stored predictions may have changed: a re-prediction or a prediction run ended. */
  function onPredictionsChanged(listener: () => void): () => void {
    const offs = [
      window.cxr.on('models.repredictProgress', (p) => {
        if (p.status !== 'running') listener();
      }),
      window.cxr.on('predict.progress', (p) => {
        if (p.done >= p.total) listener();
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  return { width, center, zoom, panX, panY, invert, heatmapOn, heatmapOpacity, preset, applyPreset, fit, zoomBy, reset, windowBy, pixels, detail, thumbnail, heatmap, onPredictionsChanged };
});
