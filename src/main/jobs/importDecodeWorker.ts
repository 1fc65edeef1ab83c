import { parentPort } from 'node:worker_threads';
import { renderDicomFile } from '../imaging/renderDicomFile';

/** A decode-pool thread: DICOM decode + pixel pipeline + rendering store, one file at a time. */
parentPort!.on('message', (m: { id: number; file: string; raw: boolean; dataDir: string }) => {
  void renderDicomFile(m.file, m.dataDir, { raw: m.raw }).then((outcome) => parentPort!.postMessage({ id: m.id, outcome }));
});
