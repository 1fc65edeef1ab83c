import { parentPort } from 'node:worker_threads';
import { renderDicomFile } from '../renderings/renderDicomFile';

/** A decode-pool thread: DICOM decode + pixel pipeline + rendering store, one file at a time. */
parentPort!.on('message', (m: { id: number; file: string; raw: boolean; dataDir: string; bytes?: Uint8Array; inflated?: boolean }) => {
  // The pool's decode deadline starts now, not when the thread was asked to start.
  parentPort!.postMessage({ id: m.id, started: true });
  void renderDicomFile(m.file, m.dataDir, { raw: m.raw, bytes: m.bytes, inflated: m.inflated }).then((outcome) => parentPort!.postMessage({ id: m.id, outcome }));
});
