import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { PacsRetrieveProgress, PacsRetrieveSummary, PacsSettingsView, PacsStudy } from '@shared/pacs';

export interface PacsQueryForm {
  patientId: string;
  patientName: string;
  accession: string;
  dateFrom: string;
  dateTo: string;
  modalities: string[];
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The PACS tab: the last query and its results, the picked studies, and the running retrieve's
 * progress from `pacs.retrieveProgress`. The catalog stays the truth: a retrieve ends in an
 * import, whose `import.done` refreshes the worklist and starts prediction as a folder import does.
 */
export const usePacsStore = defineStore('pacs', () => {
  const settings = ref<PacsSettingsView | null>(null);
  const form = ref<PacsQueryForm>({ patientId: '', patientName: '', accession: '', dateFrom: '', dateTo: '', modalities: ['CR', 'DX'] });
  const studies = ref<PacsStudy[] | null>(null);
  const picked = ref<Set<string>>(new Set());
  const searching = ref(false);
  const error = ref<string | null>(null);
  const progress = ref<PacsRetrieveProgress | null>(null);
  const summary = ref<PacsRetrieveSummary | null>(null);
  const running = ref(false);
  let subscribed = false;

  function subscribe(): void {
    if (subscribed) return;
    subscribed = true;
    window.cxr.on('pacs.retrieveProgress', (p) => {
      progress.value = p;
      running.value = p.stage !== 'done';
    });
    window.cxr.on('pacs.retrieveDone', (s) => {
      summary.value = s;
      running.value = false;
    });
  }

  async function loadSettings(): Promise<void> {
    settings.value = await window.cxr.pacs.getSettings();
  }

  async function search(): Promise<void> {
    error.value = null;
    searching.value = true;
    const f = form.value;
    const opt = (v: string) => (v.trim() ? v.trim() : undefined);
    try {
      const res = await window.cxr.pacs.query({
        patientId: opt(f.patientId),
        patientName: opt(f.patientName),
        accession: opt(f.accession),
        dateFrom: opt(f.dateFrom),
        dateTo: opt(f.dateTo),
        modalities: f.modalities,
      });
      studies.value = res.studies;
      picked.value = new Set();
    } catch (err) {
      error.value = message(err);
      studies.value = null;
    } finally {
      searching.value = false;
    }
  }

  function toggle(uid: string): void {
    const next = new Set(picked.value);
    if (next.has(uid)) next.delete(uid);
    else next.add(uid);
    picked.value = next;
  }

  async function retrieve(): Promise<void> {
    if (picked.value.size === 0 || running.value) return;
    subscribe();
    error.value = null;
    summary.value = null;
    running.value = true;
    progress.value = { jobId: 0, stage: 'listing', studies: picked.value.size, total: 0, retrieved: 0, failed: 0, bytes: 0 };
    try {
      await window.cxr.pacs.retrieve({ studyInstanceUIDs: [...picked.value] });
    } catch (err) {
      running.value = false;
      error.value = message(err);
    }
  }

  async function cancel(): Promise<void> {
    await window.cxr.pacs.cancelRetrieve();
  }

  // Sending results and editing the connections: thin calls, so the components never reach window.cxr.
  const api = {
    getSettings: () => window.cxr.pacs.getSettings(),
    setSettings: (req: Parameters<typeof window.cxr.pacs.setSettings>[0]) => window.cxr.pacs.setSettings(req),
    receiverStatus: () => window.cxr.pacs.receiverStatus(),
    testConnection: (target: 'dicomweb' | 'dimse') => window.cxr.pacs.testConnection({ target }),
    sendResults: (req: Parameters<typeof window.cxr.pacs.sendResults>[0]) => window.cxr.pacs.sendResults(req),
    sendHistory: (imageId: number) => window.cxr.pacs.sendHistory({ imageId }),
  };

  return { settings, form, studies, picked, searching, error, progress, summary, running, subscribe, loadSettings, search, toggle, retrieve, cancel, ...api };
});
