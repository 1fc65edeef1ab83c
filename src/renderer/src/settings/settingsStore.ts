import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AppSettings } from '@shared/settings';
import { errorMessage } from '../components/format';

/** A view of the catalog's settings table; writes go to main and come back as the new truth. */
export const useSettingsStore = defineStore('settings', () => {
  const settings = ref<AppSettings | null>(null);
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    settings.value = await window.cxr.settings.get();
  }
  async function save(patch: { reviewerName?: string; operatingThreshold?: number | null }): Promise<void> {
    error.value = null;
    try {
      settings.value = await window.cxr.settings.set(patch);
    } catch (err) {
      error.value = errorMessage(err);
      throw err;
    }
  }
  return { settings, error, load, save };
});
