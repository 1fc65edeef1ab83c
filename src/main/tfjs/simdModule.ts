/**
 * The project's own wasm SIMD kernels (src/main/tfjs/simd/*.c, built by scripts/build-wasm.sh into
 * resources/wasm/), instantiated on the tfjs wasm backend's own memory so that they read and write
 * tensors where tfjs keeps them: a pointer is a tensor's heap offset, nothing is copied. One
 * instance per backend memory (each worker thread has its own backend).
 * Two builds of the same source: cxr-simd-fma.wasm, whose multiply-adds are relaxed SIMD's fused
 * f32x4.relaxed_madd (one vfmadd on x64 with FMA3, where SIMD128 takes a multiply and an add), is
 * used where the engine has relaxed SIMD: Electron 45's V8 ships it; Node 20's V8 (11.3) has it
 * behind --experimental-wasm-relaxed-simd, which is turned on here, before the module compiles, when
 * the binary does not validate without it. Otherwise, and with CXR_WASM_FMA=0, cxr-simd.wasm (SIMD128).
 * CXR_WASM_SIMD=0 turns the kernels off; both switches are read per call (before/after runs in one
 * process). A missing or unloadable binary turns them off with the reason in simdKernelStatus()
 * (`cxr info`).
 */
import fs from 'node:fs';
import v8 from 'node:v8';
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { findResource, resourceCandidates } from '../resourceFile';

export const SIMD_WASM = 'wasm/cxr-simd.wasm';
export const SIMD_FMA_WASM = 'wasm/cxr-simd-fma.wasm';

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
  /** winograd.c: a 3×3 stride-1 conv from winograd_filter's U; flags 1 ReLU, 2 bias, 4 ELU, 8 its 2×2 max pool. 1 when C % 4 or O % 8 ≠ 0 (or with 8, Ho or Wo odd). */
  conv3x3_winograd(
    x: number, u: number, bias: number, y: number, scratch: number, n: number, h: number, w: number, c: number, o: number,
    ho: number, wo: number, pt: number, pl: number, flags: number,
  ): number;
  /** winograd.c: U, 36 planes [O/8][C][8] (the strided conv's phases 00, 01, 10, 11), from a 3×3 HWIO filter; 1 when C % 4 or O % 8 ≠ 0. */
  winograd_s2_filter(g: number, u: number, c: number, o: number): number;
  winograd_s2_filter_size(c: number, o: number): number;
  winograd_s2_scratch(c: number, o: number): number;
  /** winograd.c: X [N][Hq][Wq][4C], the four phases of x (zeros outside it). */
  space_to_depth2(x: number, phases: number, n: number, h: number, w: number, c: number, hq: number, wq: number, pt: number, pl: number): void;
  /** winograd.c: g2 [3][3][4C][O] from a k×k HWIO filter; 1 when k > 6. */
  space_to_depth2_filter(g: number, g2: number, k: number, c: number, o: number): number;
  /** winograd.c: a 3×3 stride-2 conv on the input's four phases; flags as conv3x3_winograd's but 8 (1 then). */
  conv3x3s2_winograd(
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
// (they live in lib.dom); the few members used here, typed locally.
type WasmModule = object;
type WasmMemory = object;
const WasmApi = (globalThis as unknown as {
  WebAssembly: {
    Module: new (bytes: Uint8Array) => WasmModule;
    Instance: new (module: WasmModule, imports: object) => { exports: unknown };
    validate(bytes: Uint8Array): boolean;
  };
}).WebAssembly;

type Build = 'fma' | 'simd128';
interface Loaded {
  module?: WasmModule;
  failure?: string;
  instances: WeakMap<WasmMemory, SimdExports>;
}
const builds: Partial<Record<Build, Loaded>> = {};

/** Undefined where the engine takes relaxed SIMD (turning on V8's flag where it needs one), else why not. */
function relaxedSimdMissing(bytes: Uint8Array): string | undefined {
  if (WasmApi.validate(bytes)) return undefined;
  // Node 20's V8 11.3 implements the standard relaxed SIMD opcodes behind this flag; setting a
  // wasm feature flag before compiling is what `node --experimental-wasm-relaxed-simd` does.
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  if (WasmApi.validate(bytes)) return undefined;
  return `V8 ${process.versions.v8} does not validate relaxed SIMD`;
}

function load(build: Build): Loaded {
  const known = builds[build];
  if (known) return known;
  const loaded: Loaded = { instances: new WeakMap() };
  builds[build] = loaded;
  const resource = build === 'fma' ? SIMD_FMA_WASM : SIMD_WASM;
  const file = findResource(resource);
  if (!file) {
    loaded.failure = `no ${resource} (looked in ${resourceCandidates(resource).join(', ')}; scripts/build-wasm.sh builds it)`;
    return loaded;
  }
  try {
    const bytes = fs.readFileSync(file);
    loaded.failure = build === 'fma' ? relaxedSimdMissing(bytes) : undefined;
    if (!loaded.failure) loaded.module = new WasmApi.Module(bytes);
  } catch (err) {
    loaded.failure = `${file}: ${err instanceof Error ? err.message : String(err)}`;
  }
  return loaded;
}

function bind(loaded: Loaded, memory: WasmMemory): SimdExports | null {
  const known = loaded.instances.get(memory);
  if (known) return known;
  if (!loaded.module) return null;
  try {
    // A threaded tfjs binary (CXR_WASM_THREADS) has shared memory, which this module does not import.
    const exports = new WasmApi.Instance(loaded.module, { env: { memory } }).exports as unknown as SimdExports;
    loaded.instances.set(memory, exports);
    return exports;
  } catch (err) {
    loaded.module = undefined;
    loaded.failure = `cannot bind it to the tfjs heap: ${err instanceof Error ? err.message : String(err)}`;
    return null;
  }
}

let noMemory: string | undefined;

/** The kernels bound to `backend`'s heap (the FMA build where it loads), or null (off, or unavailable: see simdKernelStatus). */
export function simdKernels(backend: BackendWasm): SimdExports | null {
  if (process.env.CXR_WASM_SIMD === '0') return null;
  const memory = (backend.wasm as unknown as { asm?: { memory?: WasmMemory } }).asm?.memory;
  if (!memory) {
    noMemory = 'the tfjs wasm backend does not expose its memory (asm.memory)';
    return null;
  }
  return (process.env.CXR_WASM_FMA !== '0' && bind(load('fma'), memory)) || bind(load('simd128'), memory);
}

/** 'on (…)' naming the build in use (and why not the FMA one), 'off (CXR_WASM_SIMD=0)', or why the kernels are unavailable. */
export function simdKernelStatus(backend: BackendWasm): string {
  if (process.env.CXR_WASM_SIMD === '0') return 'off (CXR_WASM_SIMD=0)';
  const kernels = simdKernels(backend);
  if (!kernels) return `unavailable: ${noMemory ?? `${SIMD_WASM}: ${builds.simd128?.failure}`}`;
  if (process.env.CXR_WASM_FMA === '0') return 'on (SIMD128; CXR_WASM_FMA=0)';
  const fma = builds.fma;
  return fma?.module ? 'on (relaxed SIMD, fused multiply-add)' : `on (SIMD128; ${SIMD_FMA_WASM}: ${fma?.failure})`;
}

/** A tensor's byte offset on the wasm heap. */
export function heapOffset(backend: BackendWasm, t: tf.TensorInfo): number {
  const data = (backend as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } | undefined } }).dataIdMap.get(t.dataId);
  if (!data) throw new Error('tensor is not on this wasm backend');
  return data.memoryOffset;
}
