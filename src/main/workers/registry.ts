/**
 * Every worker thread of the main process, by name: the one list that `startWorker` and the
 * electron-vite build (electron.vite.config.ts) both read. A worker file is `<name>.worker.ts`
 * beside the code that uses it; paths are relative to src/main. The build emits each one flat
 * beside the main bundle as `<name>.worker.js`.
 */
export const WORKERS = {
  /** A whole import (scan, per-file handlers, catalog writes): import/importJob.ts. */
  import: 'import/import.worker.ts',
  /** One DICOM decode at a time under a deadline: import/decodePool.ts. */
  decode: 'import/decode.worker.ts',
  /** The long-lived predictor and Grad-CAM: inference/inferenceHost.ts. */
  inference: 'inference/inference.worker.ts',
  /** A training run for `cxr train` and the app alike: training/trainingJob.ts. */
  training: 'training/training.worker.ts',
  /** The second wasm backend of data-parallel training: training/gradientPeer.ts. */
  gradientPeer: 'training/gradientPeer.worker.ts',
  /** A PACS retrieve's network side (QIDO-RS, WADO-RS, multipart decode): pacs/retrieveJob.ts. */
  pacsRetrieve: 'pacs/pacsRetrieve.worker.ts',
} as const;

export type WorkerName = keyof typeof WORKERS;

/** The build's file name for a worker. */
export const builtWorkerFile = (name: WorkerName): string => `${name}.worker.js`;

/**
 * Heap limits of the threads that read untrusted files: a file that makes one grow past them
 * ends that thread (its file gets an error row), never the process. Typed arrays live outside
 * the heap; their size is bounded where they are made (inflateDataset.ts, MAX_FILE_BYTES).
 */
export const WORKER_RESOURCE_LIMITS = {
  import: { maxOldGenerationSizeMb: 1024, maxYoungGenerationSizeMb: 64 },
  decode: { maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 64 },
} as const satisfies Partial<Record<WorkerName, import('node:worker_threads').ResourceLimits>>;
