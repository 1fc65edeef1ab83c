/** What the app does at launch given Electron's single-instance lock (app.requestSingleInstanceLock()). */
export type InstanceDecision = { run: true } | { run: false; title: string; message: string };

/**
 * One app per data folder: a second instance would be a second writer on the same catalog (and
 * a second import, PACS receiver and training run). It is refused with a message, and the first
 * instance brings its window forward.
 */
export function instanceDecision(gotLock: boolean, dataDir: string): InstanceDecision {
  if (gotLock) return { run: true };
  return {
    run: false,
    title: 'CXR Triage is already running',
    message: `CXR Triage is already open on the data folder ${dataDir}. Use that window: a second one on the same catalog is not started.`,
  };
}
