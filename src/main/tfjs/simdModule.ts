/**
 * The project's own wasm SIMD kernels (src/main/tfjs/simd/*.c, built by scripts/build-wasm.sh into
 * resources/wasm/cxr-simd.wasm), instantiated on the tfjs wasm backend's own memory so that they
 * read and write tensors where tfjs keeps them: a pointer is a tensor's heap offset, nothing is
 * copied. One instance per backend memory (each worker thread has its own backend).
 * CXR_WASM_SIMD=0 turns them off, read per call (before/after runs in one process); a missing or
 * unloadable binary turns them off with the reason in simdKernelStatus() (`cxr info`).
 */
import fs from 'node:fs';
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { findResource, resourceCandidates } from '../resourceFile';

export const SIMD_WASM = 'wasm/cxr-simd.wasm';

export interface SimdExports {
  /** convFilterGrad.c: 0 when done, 1 when the channel counts have no kernel (dw untouched). */
  conv2d_filter_grad(
    x: number, dy: number, dw: number, n: number, h: number, w: number, c: number, ho: number, wo: number, o: number,
    kh: number, kw: number, s: number, pt: number, pl: number,
  ): number;
  /** maxPool.c: 0 when done, 1 when C % 4 ≠ 0 or the windows do not fit (y untouched). */
  max_pool_2x2(x: number, y: number, n: number, h: number, w: number, c: number, ho: number, wo: number): number;
  /** maxPool.c: 0 when done, 1 when C % 4 ≠ 0 or the windows do not fit (dx untouched). */
  max_pool_grad_2x2(x: number, g: number, dx: number, n: number, h: number, w: number, c: number, ho: number, wo: number): number;
  /** batchNormTraining.c, over m pixels of c channels: 0 when done, 1 when c % 4 ≠ 0. */
  batch_norm_train_forward(
    x: number, gamma: number, beta: number, y: number, mean: number, variance: number, invStd: number, acc: number, part: number,
    m: number, c: number, eps: number,
  ): number;
  batch_norm_train_backward(
    dy: number, x: number, mean: number, invStd: number, gamma: number, dx: number, dGamma: number, dBeta: number, acc: number, part: number,
    m: number, c: number,
  ): number;
  /** winograd.c: U [36][O/8][C][8] from a 3×3 HWIO filter; 1 when C % 4 or O % 8 ≠ 0. */
  winograd_filter(g: number, u: number, c: number, o: number): number;
  /** winograd.c: floats of U that winograd_filter writes. */
  winograd_filter_size(c: number, o: number): number;
  /** winograd.c: floats of scratch conv3x3_winograd needs. */
  winograd_scratch(c: number, o: number): number;
  /** winograd.c: a 3×3 stride-1 conv from winograd_filter's U; flags 1 ReLU, 2 bias. 1 when C % 4 or O % 8 ≠ 0. */
  conv3x3_winograd(
    x: number, u: number, bias: number, y: number, scratch: number, n: number, h: number, w: number, c: number, o: number,
    ho: number, wo: number, pt: number, pl: number, flags: number,
  ): number;
  /** convInputGrad.c: wp [C/8][taps][O][8] from an HWIO filter of taps = kh·kw, then O zeros. */
  conv_pack_filter_t(w: number, wp: number, taps: number, c: number, o: number): void;
  /** convInputGrad.c: a conv's dx from dy and conv_pack_filter_t's wp; 1 when C % 8 ≠ 0 (dx untouched). */
  conv2d_input_grad(
    dy: number, wp: number, dx: number, n: number, h: number, w: number, c: number, ho: number, wo: number, o: number,
    kh: number, kw: number, s: number, pt: number, pl: number,
  ): number;
  /** directConv.c: wp [O/8][taps][C][8] from an HWIO filter of taps = kh·kw, then C zeros. */
  conv_pack_filter(w: number, wp: number, taps: number, c: number, o: number): void;
  /** directConv.c: any filter and stride from conv_pack_filter's wp; flags 1 ReLU, 2 bias. 1 when O % 8 ≠ 0. */
  conv2d_direct(
    x: number, wp: number, bias: number, y: number, n: number, h: number, w: number, c: number, ho: number, wo: number, o: number,
    kh: number, kw: number, s: number, pt: number, pl: number, flags: number,
  ): number;
}

// The main process compiles against ES2022 + node types, which have no WebAssembly declarations
// (they live in lib.dom); the few constructors used here, typed locally.
type WasmModule = object;
type WasmMemory = object;
const WasmApi = (globalThis as unknown as {
  WebAssembly: {
    Module: new (bytes: Uint8Array) => WasmModule;
    Instance: new (module: WasmModule, imports: object) => { exports: unknown };
  };
}).WebAssembly;

let compiled: WasmModule | undefined;
let failure: string | undefined;
const instances = new WeakMap<WasmMemory, SimdExports>();

function compile(): WasmModule | undefined {
  if (compiled || failure) return compiled;
  const file = findResource(SIMD_WASM);
  if (!file) {
    failure = `no ${SIMD_WASM} (looked in ${resourceCandidates(SIMD_WASM).join(', ')}; scripts/build-wasm.sh builds it)`;
    return undefined;
  }
  try {
    compiled = new WasmApi.Module(fs.readFileSync(file));
  } catch (err) {
    failure = `${file}: ${err instanceof Error ? err.message : String(err)}`;
  }
  return compiled;
}

/** The kernels bound to `backend`'s heap, or null (off, or unavailable: see simdKernelStatus). */
export function simdKernels(backend: BackendWasm): SimdExports | null {
  if (process.env.CXR_WASM_SIMD === '0') return null;
  const memory = (backend.wasm as unknown as { asm?: { memory?: WasmMemory } }).asm?.memory;
  if (!memory) {
    failure ??= 'the tfjs wasm backend does not expose its memory (asm.memory)';
    return null;
  }
  const known = instances.get(memory);
  if (known) return known;
  const module = compile();
  if (!module) return null;
  try {
    // A threaded tfjs binary (CXR_WASM_THREADS) has shared memory, which this module does not import.
    const exports = new WasmApi.Instance(module, { env: { memory } }).exports as unknown as SimdExports;
    instances.set(memory, exports);
    return exports;
  } catch (err) {
    failure = `cannot bind ${SIMD_WASM} to the tfjs heap: ${err instanceof Error ? err.message : String(err)}`;
    return null;
  }
}

/** 'on', 'off (CXR_WASM_SIMD=0)', or why the kernels are unavailable. */
export function simdKernelStatus(backend: BackendWasm): string {
  if (process.env.CXR_WASM_SIMD === '0') return 'off (CXR_WASM_SIMD=0)';
  return simdKernels(backend) ? 'on' : `unavailable: ${failure}`;
}

/** A tensor's byte offset on the wasm heap. */
export function heapOffset(backend: BackendWasm, t: tf.TensorInfo): number {
  const data = (backend as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } | undefined } }).dataIdMap.get(t.dataId);
  if (!data) throw new Error('tensor is not on this wasm backend');
  return data.memoryOffset;
}
