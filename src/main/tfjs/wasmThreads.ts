/**
 * Loading tfjs-backend-wasm's threaded SIMD binary in Node (opt-in: CXR_WASM_THREADS=n). tfjs turns
 * wasm threads off under Node (tfjs issue 3830); the Emscripten glue itself runs its pthreads on
 * worker_threads, and what stops it is four things tfjs does for browsers, each undone here:
 * 1. WASM_HAS_MULTITHREAD_SUPPORT is false whenever IS_NODE: set it.
 * 2. The pthread worker script is handed over as a blob: URL, which Node's Worker cannot start
 *    ("WASM backend not initialized"): URL.createObjectURL returns a file holding the same script
 *    for the length of the backend's initialisation.
 * 3. That worker then imports the main script from a Blob the same way: the script written here
 *    first points it at the glue file in the package instead.
 * 4. The C++ side caps the pool at emscripten_num_logical_cores() / 2 (it assumes two hyperthreads
 *    a core), which under Node is os.cpus().length / 2: one thread on a 2-vCPU machine, whatever
 *    setThreadsCount asks. os.cpus reports 2·n cores while the module initialises.
 * The pool's threads are unref'd, so they never hold a process open.
 *
 * Measured on the 2-vCPU machine (bench/wasmThreads.ts, bench:model; bench/results/wasm-infer-*-2026-12-02):
 * - idle: two threads give one backend 1.5–2.1× (a batch-32 cxrResNet inference 85 ms against
 *   126–130 ms wall; bench:model 382 img/s in one thread against 178–184), about what two
 *   single-threaded workers give together (412–424 img/s), with one model in memory and half the
 *   single-image latency (3.9 ms against 7.3 ms);
 * - with a training run in the background: the pool works (per-thread CPU from /proc: the pthread
 *   did about a quarter of a conv's work), but two threads are a little slower than one (a batch-32
 *   inference 162–170 ms against 149 ms wall, the same CPU time): a parallel-for waits for its slower
 *   thread, and the training run holds the other core.
 * Training in the background is this app's normal state, so it stays opt-in and the inference pool
 * (one single-threaded backend per worker) stays the default way to use the cores.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';

export class WasmThreadsError extends Error {
  override name = 'WasmThreadsError';
  constructor(reason: string) {
    super(`wasm threads: ${reason}`);
  }
}

const require = createRequire(import.meta.url);

/** The pthread worker script, written once per package version: the package's own, with the main script redirected to a file. */
function pthreadWorkerFile(): string {
  const pkgDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const version = (JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  const glue = path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const workerModule = path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js');
  for (const f of [glue, workerModule]) if (!fs.existsSync(f)) throw new WasmThreadsError(`${f} is missing from @tensorflow/tfjs-backend-wasm ${version}`);
  const { wasmWorkerContents } = require(workerModule) as { wasmWorkerContents: string };
  // tfjs escapes the newlines the same way before it makes its blob.
  const text = `URL.createObjectURL = () => ${JSON.stringify(glue)}; URL.revokeObjectURL = () => {};\n${wasmWorkerContents.replace(/\n/g, '\\n')}`;
  const file = path.join(os.tmpdir(), `cxr-tfjs-wasm-${version}-pthread.worker.cjs`);
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) {
    // Written beside and renamed: another process may be starting its pool from the same file.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  }
  return file;
}

/** Initialises the wasm backend on the threaded SIMD binary with `threads` threads; returns the threads it got. */
export async function setThreadedWasmBackend(threads: number): Promise<number> {
  if (!Number.isInteger(threads) || threads < 2 || threads > 8) throw new WasmThreadsError(`CXR_WASM_THREADS must be an integer from 2 to 8 (tfjs pre-starts 8 pthread workers), got ${threads}`);
  if (typeof SharedArrayBuffer === 'undefined') throw new WasmThreadsError('this runtime has no SharedArrayBuffer');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const workerFile = pthreadWorkerFile();
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  const createObjectURL = URL.createObjectURL;
  const cpus = os.cpus;
  URL.createObjectURL = ((blob: Blob) => (blob.type === 'application/javascript' ? workerFile : createObjectURL(blob))) as typeof URL.createObjectURL;
  os.cpus = () => {
    const real = cpus();
    return Array.from({ length: 2 * threads }, (_, i) => real[i % real.length]!);
  };
  let ok: boolean;
  try {
    ok = await tf.setBackend('wasm');
  } finally {
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
  }
  if (!ok) throw new WasmThreadsError('the threaded wasm backend failed to initialise');
  const mod = (tf.backend() as unknown as { wasm: { PThread?: { runningWorkers: { unref(): void }[] } } }).wasm;
  if (!mod.PThread) throw new WasmThreadsError('tfjs loaded its single-threaded binary');
  for (const w of mod.PThread.runningWorkers) w.unref();
  return wasm.getThreadsCount();
}
