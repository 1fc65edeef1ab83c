import * as tf from '@tensorflow/tfjs';
import { probeWebGpu, type GpuAdapterInfo } from './webgpuAdapter';
import { registerWasmTrainingKernels } from './wasmKernels';
import { registerConvFilterGradByMatMul } from './webgpuKernels';
import { setThreadedWasmBackend } from './wasmThreads';
import { simdKernelStatus } from './simdModule';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Backends in order of preference. `CXR_BACKEND` may name one to force it. */
export const BACKEND_ORDER = ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];

export interface BackendRefusal {
  backend: BackendName;
  reason: string;
}

export interface BackendReport {
  /** The backend that really ran a tensor op. */
  name: BackendName;
  /** tfjs's own name for it (tensorflow, wasm, cpu). */
  tfjsName: string;
  /** Threads the backend actually runs with (not the number requested). */
  threads: number;
  /** Why `threads` is what it is (wasm in Node: tfjs turns threads off, issue 3830). */
  threadsNote?: string;
  simd: boolean;
  /** On wasm: our own SIMD training kernels, 'on' or why not (simdModule.ts). */
  simdKernels?: string;
  /** Why each better backend was not taken. */
  refusals: BackendRefusal[];
  /** The result of the probe op, so a caller can see it was computed. */
  probe: number;
  /** The GPU adapter, when the WebGPU backend runs. */
  gpu?: GpuAdapterInfo;
}

let selected: Promise<BackendReport> | undefined;

/** Picks, initialises and verifies the best backend once per process (or per worker). */
export function initBackend(env: NodeJS.ProcessEnv = process.env): Promise<BackendReport> {
  selected ??= selectBackend(env.CXR_BACKEND);
  return selected;
}

function describe(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const first = msg.split('\n')[0]!.trim();
  if (/Cannot find (module|package)|MODULE_NOT_FOUND|ERR_MODULE_NOT_FOUND/.test(msg)) return 'not installed';
  return first.length > 200 ? `${first.slice(0, 200)}…` : first;
}

async function tryNative(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node'): Promise<void> {
  // A native package with its install script skipped throws a plain Error about its missing
  // binding, not MODULE_NOT_FOUND: every error means "not available".
  await import(pkg);
  if (!tf.findBackend('tensorflow')) throw new Error('loaded, but registered no tensorflow backend');
  if (!(await tf.setBackend('tensorflow'))) throw new Error('tensorflow backend failed to initialise');
}

let webgpuAdapter: GpuAdapterInfo | undefined;
let convGradSwapped = false;

async function tryWebGpu(): Promise<void> {
  const probe = await probeWebGpu();
  if (!probe.ok) throw new Error(probe.reason);
  // tfjs-backend-webgpu reads navigator.gpu; Node 20 has no navigator, so give it Dawn's.
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  g.navigator!.gpu = probe.gpu;
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('webgpu backend failed to initialise');
  webgpuAdapter = probe.adapter;
  // Opt-in until measured on a GPU (webgpuKernels.ts): the filter gradient as matrix products.
  if (process.env.CXR_GPU_CONV_GRAD === 'matmul' && !convGradSwapped) {
    registerConvFilterGradByMatMul('webgpu');
    convGradSwapped = true;
  }
}

async function tryWasm(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  // Opt-in: slower than one thread a worker on the loaded 2-core machine (wasmThreads.ts).
  const threads = process.env.CXR_WASM_THREADS ? Number(process.env.CXR_WASM_THREADS) : 1;
  if (threads > 1) await setThreadedWasmBackend(threads);
  else if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialise');
  // Stock wasm cannot train convolutions; these kernels make it (wasmKernels.ts).
  registerWasmTrainingKernels();
}

async function tryBackend(name: BackendName): Promise<void> {
  switch (name) {
    case 'tfjs-node-gpu':
      return tryNative('@tensorflow/tfjs-node-gpu');
    case 'webgpu':
      return tryWebGpu();
    case 'tfjs-node':
      return tryNative('@tensorflow/tfjs-node');
    case 'wasm':
      return tryWasm();
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend failed to initialise');
  }
}

async function selectBackend(forced: string | undefined): Promise<BackendReport> {
  const refusals: BackendRefusal[] = [];
  let order: readonly BackendName[] = BACKEND_ORDER;
  if (forced) {
    if (!(BACKEND_ORDER as readonly string[]).includes(forced)) {
      throw new Error(`CXR_BACKEND=${forced} is not one of ${BACKEND_ORDER.join(', ')}`);
    }
    order = [forced as BackendName];
    for (const b of BACKEND_ORDER) {
      if (b === forced) break;
      refusals.push({ backend: b, reason: `skipped: CXR_BACKEND=${forced}` });
    }
  }
  for (const name of order) {
    try {
      await tryBackend(name);
      await tf.ready();
      const probe = await verify();
      const gpu = name === 'webgpu' ? webgpuAdapter : undefined;
      return { name, tfjsName: tf.getBackend(), ...(await capabilities()), refusals, probe, ...(gpu ? { gpu } : {}) };
    } catch (err) {
      refusals.push({ backend: name, reason: describe(err) });
    }
  }
  throw new Error(`no tfjs backend could run: ${refusals.map((r) => `${r.backend}: ${r.reason}`).join('; ')}`);
}

/**
 * Runs a real op on the backend and checks its result, so "active" means "computed". Read back
 * asynchronously: WebGPU's synchronous read needs a browser's OffscreenCanvas, absent in Node.
 */
async function verify(): Promise<number> {
  const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])));
  const out = (await y.data())[0]!;
  y.dispose();
  if (out !== 11) throw new Error(`probe op returned ${out}, expected 11`);
  return out;
}

async function capabilities(): Promise<{ threads: number; simd: boolean; threadsNote?: string; simdKernels?: string }> {
  if (tf.getBackend() !== 'wasm') return { threads: 1, simd: false };
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const threads = wasm.getThreadsCount();
  // tfjs disables wasm threads under Node; CXR_WASM_THREADS loads the threaded binary anyway
  // (wasmThreads.ts), but by default cores are used by one single-threaded backend per
  // worker_thread (the inference pool, the gradient peer).
  const threadsNote =
    tf.env().getBool('IS_NODE') && threads === 1
      ? 'single-threaded: tfjs disables wasm threads under Node (tfjs issue 3830); one worker_thread per core instead (CXR_WASM_THREADS=n opts in to the threaded binary)'
      : undefined;
  const simdKernels = simdKernelStatus(tf.backend() as BackendWasm);
  return { threads, simd, simdKernels, ...(threadsNote ? { threadsNote } : {}) };
}
