import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { SystemInfo } from '@shared/system';
import { errorMessage } from './format';

/** What main reports about itself (backend, catalog schema, version), for the status bar. */
export const useSystemStore = defineStore('system', () => {
  const info = ref<SystemInfo | null>(null);
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    try {
      info.value = await window.cxr.system.info();
    } catch (err) {
      error.value = errorMessage(err);
    }
  }
  return { info, error, load };
});
