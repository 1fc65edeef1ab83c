import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ModelDetail, ModelVersion, RepredictProgress } from '@shared/models';
import { errorMessage } from '../components/format';

/**
 * The model registry as main keeps it: every version, the active one, and the re-prediction of
 * the catalog that follows an activation. Shared by the registry and the training view.
 */
export const useModelsStore = defineStore('models', () => {
  const versions = ref<ModelVersion[]>([]);
  const repredict = ref<RepredictProgress | null>(null);
  const error = ref<string | null>(null);
  const busy = ref(false);
  const active = computed(() => versions.value.find((v) => v.active) ?? null);

  async function load(): Promise<void> {
    try {
      versions.value = await window.cxr.models.list();
      repredict.value = await window.cxr.models.repredictStatus();
    } catch (err) {
      error.value = errorMessage(err);
    }
  }

  /** Makes `id` the active version; the catalog's re-prediction starts in main. Throws what main refused. */
  async function activateVersion(id: string): Promise<void> {
    repredict.value = (await window.cxr.models.activate({ id })).repredict;
  }

  /** The registry's buttons: one change at a time, and what failed shown in `error`. */
  async function act(change: () => Promise<unknown>): Promise<void> {
    busy.value = true;
    error.value = null;
    try {
      await change();
      await load();
    } catch (err) {
      error.value = errorMessage(err);
    } finally {
      busy.value = false;
    }
  }
  const activate = (id: string) => act(() => activateVersion(id));
  const rollback = () =>
    act(async () => {
      repredict.value = (await window.cxr.models.rollback()).repredict;
    });

  const detail = (id: string): Promise<ModelDetail> => window.cxr.models.detail({ id });

  /** Follows the registry while a view shows it: re-prediction progress, activations, finished training runs. */
  function listen(): () => void {
    const offs = [
      window.cxr.on('models.repredictProgress', (p) => {
        repredict.value = p;
        if (p.status !== 'running') void load();
      }),
      window.cxr.on('models.changed', () => void load()),
      window.cxr.on('training.done', () => void load()),
    ];
    return () => offs.forEach((off) => off());
  }

  return { versions, repredict, error, busy, active, load, activateVersion, activate, rollback, detail, listen };
});
