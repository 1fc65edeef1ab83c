import { parentPort, workerData } from 'node:worker_threads';
import { DicomWebConnection } from './dicomweb';
import { downloadStudies, type RetrieveWorkerMessage, type RetrieveWorkerRequest } from './retrieveJob';

/**
 * The retrieve job's network side in its own thread: QIDO-RS, WADO-RS and the multipart decode,
 * writing each instance to the inbox; progress posted back at most every 100 ms.
 */
const req = workerData as RetrieveWorkerRequest;
const abort = new AbortController();
const post = (m: RetrieveWorkerMessage) => parentPort!.postMessage(m);
parentPort!.on('message', (m: { type: string }) => {
  if (m.type === 'cancel') abort.abort();
});

let last = 0;
downloadStudies(new DicomWebConnection(req.target), req.dataDir, req.studyUids, abort.signal, (progress, force) => {
  const now = performance.now();
  if (!force && now - last < 100) return;
  last = now;
  post({ type: 'progress', progress: { ...progress } });
})
  .then((result) => post({ type: 'done', result }))
  .catch((err: unknown) => post({ type: 'failed', message: err instanceof Error ? err.message : String(err) }))
  .finally(() => parentPort!.close());
