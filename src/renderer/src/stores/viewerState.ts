import { defineStore } from 'pinia';
import { ref } from 'vue';
import { WINDOW_PRESETS } from '../hotkeys';

/** How the current image is shown: window/level, zoom, pan, invert, heatmap. Shared by viewer and review. */
export const useViewerStateStore = defineStore('viewerState', () => {
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
  return { width, center, zoom, panX, panY, invert, heatmapOn, heatmapOpacity, preset, applyPreset, fit, zoomBy, reset, windowBy };
});
