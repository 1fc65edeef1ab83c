/**
 * Forward convolutions on wasm in our SIMD kernels, with the bias and the ReLU or ELU in their
 * epilogue (simd/epilogue.h; the stock Elu kernel after the conv was half of zhongSlim's first layer):
 * - 3×3 stride 1 by Winograd's F(4×4, 3×3) (simd/winograd.c): 36 multiplies per 4×4 output tile
 *   and channel pair where a direct conv takes 144. They are 70 % of cxrResNet's multiply-adds;
 *   training's forward and its stride-1 input gradients (a 3×3 conv by the flipped filter,
 *   wasmKernels.ts) take it too.
 * - 3×3 stride 2 on the input's four phases (simd/winograd.c), each by Winograd along its two-tap
 *   axes only (F(4×4, 2×2), F(4, 2) or none): 5.06 C multiplies an output where the direct conv
 *   takes 9 C; 20–32 % faster per layer than the direct kernel, which is already near SIMD128's
 *   peak (bench/results/wasm-conv-2026-12-03b).
 * - 5×5 and 6×6 stride 2 (cxrResNet's gray stem) as the 3×3 stride-1 conv of the input's four
 *   phases, by F(4×4, 3×3): 9 multiplies an output and phase where the direct conv takes 25; with
 *   its max pool in the output transform when convMaxPool.ts asks (stem and pool at batch 32
 *   7.35 → 5.15 ms against the direct conv and MaxPool). CXR_WASM_CONV=direct-stem runs the direct kernel for it.
 * - the other strided convs (the 1×1 stride-2 projections: 0.2–0.4 ms faster a layer than
 *   XNNPACK's at batch 32) by a register-blocked direct conv (simd/directConv.c), and strided
 *   convs' input gradients the same way, phase by phase (simd/convInputGrad.c).
 * Transformed and repacked filters are kept for a filter seen a second time (filterCache below):
 * inference runs the same weights batch after batch, and the Winograd transform of a 256 → 256
 * filter is about 0.9 ms, a fifth of that layer at batch 32 and nearly all of it for one image.
 * Per layer, batch 32, against XNNPACK's conv (bench/kernelAB.ts) — see the README's Benchmarks.
 * CXR_WASM_CONV=xnnpack runs XNNPACK's conv for all, =direct the direct kernel where Winograd would
 * run, =direct-s2 only for the stride-2 3×3s, =direct-stem only for the stem (before/after runs in
 * one process); the SIMD kernels off or unavailable (simdModule.ts) is XNNPACK as well.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset, simdKernels, type SimdExports } from './simdModule';

type Info = tf.TensorInfo;

export type ConvActivation = 'linear' | 'relu' | 'elu';

/**
 * act(conv(x, filter) + bias) in one of our kernels, or undefined where none applies (the caller runs
 * XNNPACK's). With `pool`, the 2×2 stride-2 max pool of that (convMaxPool.ts), where the Winograd
 * kernels take the conv and its output's height and width are even; undefined elsewhere.
 */
export function simdConv2D(
  backend: BackendWasm, x: Info, filter: Info, bias: Info | undefined, info: tf.backend_util.Conv2DInfo, act: ConvActivation, pool = false,
): Info | undefined {
  const route = process.env.CXR_WASM_CONV;
  if (route === 'xnnpack') return undefined;
  const { batchSize: n, outHeight: Ho, outWidth: Wo, inChannels: ci, outChannels: co } = info;
  if (co % 8 !== 0 || n * Ho * Wo === 0 || info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
  if ([x, filter, bias].some((t) => t && t.dtype !== 'float32')) return undefined;
  if (bias && bias.shape.reduce((a, b) => a * b, 1) !== co) return undefined;
  if (pool && (Ho % 2 !== 0 || Wo % 2 !== 0)) return undefined;
  const simd = simdKernels(backend);
  if (!simd) return undefined;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const winogradFits = kh === 3 && kw === 3 && sh === sw && ci % 4 === 0 && (sh === 1 || (sh === 2 && route !== 'direct-s2'));
  if (winogradFits && route !== 'direct' && !(pool && sh === 2)) return winograd(backend, simd, x, filter, bias, info, act, pool);
  // A 5×5 or 6×6 stride 2 (the gray stem) as a 3×3 stride 1 on the input's four phases.
  const stemFits = kh === kw && (kh === 5 || kh === 6) && sh === 2 && sw === 2 && route !== 'direct' && route !== 'direct-stem';
  if (stemFits) return spaceToDepthWinograd(backend, simd, x, filter, bias, info, act, pool);
  if (pool) return undefined;
  // Where the direct kernel beats XNNPACK's (bench/kernelAB.ts): every strided conv (the 1×1
  // stride-2 projections too), and with CXR_WASM_CONV=direct the unstrided windows of 3×3 and up.
  if (sh === sw && (sh > 1 || (route === 'direct' && (kh >= 3 || kw >= 3)))) return direct(backend, simd, x, filter, bias, info, act);
  return undefined;
}

/** The kernels' flags (simd/epilogue.h): 1 ReLU, 2 bias, 4 ELU. */
const flagsOf = (act: ConvActivation, bias: Info | undefined): number => (act === 'relu' ? 1 : act === 'elu' ? 4 : 0) | (bias ? 2 : 0);

/** The kernels' 2×2 max pool flag (simd/winograd.c). */
const POOL = 8;

/** F(4×4, 3×3) for stride 1; for stride 2 the input's four phases, each by Winograd along its two-tap axes (simd/winograd.c). */
function winograd(
  backend: BackendWasm, simd: SimdExports, x: Info, filter: Info, bias: Info | undefined, info: tf.backend_util.Conv2DInfo, act: ConvActivation, pool: boolean,
): Info | undefined {
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: ci, outHeight: Ho, outWidth: Wo, outChannels: co } = info;
  const s2 = info.strideHeight === 2;
  const u = s2
    ? packedFilter(backend, filter, 'winogradS2', simd.winograd_s2_filter_size(ci, co), (at) => simd.winograd_s2_filter(heapOffset(backend, filter), at, ci, co))
    : packedFilter(backend, filter, 'winograd', simd.winograd_filter_size(ci, co), (at) => simd.winograd_filter(heapOffset(backend, filter), at, ci, co));
  if (!u) return undefined;
  const scratch = backend.makeOutput([s2 ? simd.winograd_s2_scratch(ci, co) : simd.winograd_scratch(ci, co)], 'float32');
  const y = backend.makeOutput(pool ? [n, Ho / 2, Wo / 2, co] : [n, Ho, Wo, co], 'float32');
  // Offsets after the last allocation: growing the heap never moves a tensor.
  const at = (t: Info): number => heapOffset(backend, t);
  const conv = s2 ? simd.conv3x3s2_winograd : simd.conv3x3_winograd;
  const flags = flagsOf(act, bias) | (pool ? POOL : 0);
  const status = conv(at(x), at(u.info), bias ? at(bias) : 0, at(y), at(scratch), n, H, W, ci, co, Ho, Wo, info.padInfo.top, info.padInfo.left, flags);
  return finish(backend, y, status, [scratch, ...u.temporary]);
}

/**
 * A 5×5 or 6×6 stride-2 conv as the 3×3 stride-1 conv of the input's four phases (simd/winograd.c,
 * space_to_depth2), by F(4×4, 3×3): for cxrResNet's gray stem 9 multiplies an output and phase where
 * the direct kernel takes 25, and its max pool in the output transform (`pool`).
 */
function spaceToDepthWinograd(
  backend: BackendWasm, simd: SimdExports, x: Info, filter: Info, bias: Info | undefined, info: tf.backend_util.Conv2DInfo, act: ConvActivation, pool: boolean,
): Info | undefined {
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: ci, outHeight: Ho, outWidth: Wo, outChannels: co, filterHeight: k } = info;
  const c4 = 4 * ci;
  const u = packedFilter(backend, filter, 'spaceToDepth', simd.winograd_filter_size(c4, co), (at) => {
    const g2 = backend.makeOutput([9 * c4 * co], 'float32');
    const status = simd.space_to_depth2_filter(heapOffset(backend, filter), heapOffset(backend, g2), k, ci, co) || simd.winograd_filter(heapOffset(backend, g2), at, c4, co);
    backend.disposeData(g2.dataId);
    return status;
  });
  if (!u) return undefined;
  // The phases' rows and columns a valid 3×3 conv to Ho × Wo reads.
  const Hq = Ho + 2, Wq = Wo + 2;
  const phases = backend.makeOutput([n, Hq, Wq, c4], 'float32');
  const scratch = backend.makeOutput([simd.winograd_scratch(c4, co)], 'float32');
  const y = backend.makeOutput(pool ? [n, Ho / 2, Wo / 2, co] : [n, Ho, Wo, co], 'float32');
  const at = (t: Info): number => heapOffset(backend, t);
  simd.space_to_depth2(at(x), at(phases), n, H, W, ci, Hq, Wq, info.padInfo.top, info.padInfo.left);
  const flags = flagsOf(act, bias) | (pool ? POOL : 0);
  const status = simd.conv3x3_winograd(at(phases), at(u.info), bias ? at(bias) : 0, at(y), at(scratch), n, Hq, Wq, c4, co, Ho, Wo, 0, 0, flags);
  return finish(backend, y, status, [phases, scratch, ...u.temporary]);
}

function direct(backend: BackendWasm, simd: SimdExports, x: Info, filter: Info, bias: Info | undefined, info: tf.backend_util.Conv2DInfo, act: ConvActivation): Info | undefined {
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: ci, outHeight: Ho, outWidth: Wo, outChannels: co, filterHeight: kh, filterWidth: kw } = info;
  const packed = packedFilter(backend, filter, 'direct', kh * kw * ci * co + ci, (at) => { // and ci zeros
    simd.conv_pack_filter(heapOffset(backend, filter), at, kh * kw, ci, co);
    return 0;
  })!;
  const y = backend.makeOutput([n, Ho, Wo, co], 'float32');
  const at = (t: Info): number => heapOffset(backend, t);
  const status = simd.conv2d_direct(at(x), at(packed.info), bias ? at(bias) : 0, at(y), n, H, W, ci, Ho, Wo, co, kh, kw, info.strideHeight, info.padInfo.top, info.padInfo.left, flagsOf(act, bias));
  return finish(backend, y, status, packed.temporary);
}

/**
 * A strided conv's dx from dy in our kernel (simd/convInputGrad.c): only the products that exist,
 * where the polyphase route (wasmKernels.ts) multiplies 1.8× as many on XNNPACK for a 3×3 stride 2.
 * Undefined where it does not apply (stride 1, unequal strides, dilation, ci % 8 ≠ 0, off).
 */
export function simdConv2DInputGrad(backend: BackendWasm, dy: Info, filter: Info, info: tf.backend_util.Conv2DInfo): Info | undefined {
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: ci, outHeight: Ho, outWidth: Wo, outChannels: co, filterHeight: kh, filterWidth: kw } = info;
  const s = info.strideHeight;
  if (s < 2 || info.strideWidth !== s || ci % 8 !== 0 || n * H * W === 0 || dy.dtype !== 'float32' || filter.dtype !== 'float32') return undefined;
  if (info.padInfo.top < 0 || info.padInfo.left < 0) return undefined;
  const simd = simdKernels(backend);
  if (!simd) return undefined;
  const packed = packedFilter(backend, filter, 'inputGrad', kh * kw * ci * co + co, (at) => { // and co zeros
    simd.conv_pack_filter_t(heapOffset(backend, filter), at, kh * kw, ci, co);
    return 0;
  })!;
  const dx = backend.makeOutput([n, H, W, ci], 'float32');
  const at = (t: Info): number => heapOffset(backend, t);
  const status = simd.conv2d_input_grad(at(dy), at(packed.info), at(dx), n, H, W, ci, Ho, Wo, co, kh, kw, s, info.padInfo.top, info.padInfo.left);
  return finish(backend, dx, status, packed.temporary);
}

function finish(backend: BackendWasm, y: Info, status: number, temporaries: Info[]): Info | undefined {
  for (const t of temporaries) backend.disposeData(t.dataId);
  if (status === 0) return y;
  backend.disposeData(y.dataId);
  return undefined;
}

type PackKind = 'winograd' | 'winogradS2' | 'spaceToDepth' | 'direct' | 'inputGrad';

/**
 * Filters as our kernels read them (Winograd's U, the direct and input-gradient kernels' repacking),
 * kept per backend for a filter that comes back: the second time one filter tensor reaches a kernel
 * of one kind, its packing is kept for the calls after. Inference runs the same weights batch after
 * batch; training's filters are new tensors every step, and the transposed filter of a stride-1
 * input gradient is made per call, so what they pack is used once and freed at once.
 * Keyed by the filter's dataId: a tensor's data never changes under its dataId (a variable's assign
 * gives it a new one), and disposeData, wrapped once per backend, frees the packing with the filter.
 * CXR_WASM_FILTER_CACHE_MB (default 128; 0 turns it off, read per call) bounds what is kept: cxrResNet's filters
 * take 14 MB packed; zhong2020's would take more than a GB, and past the bound pack on every call.
 */
class FilterCache {
  private readonly kept = new Map<object, Map<PackKind, Info>>();
  private readonly seen = new WeakMap<object, Set<PackKind>>();
  floats = 0;

  constructor(private readonly backend: BackendWasm) {
    const dispose = backend.disposeData.bind(backend);
    backend.disposeData = (dataId: object, force?: boolean): boolean => {
      const freed = dispose(dataId, force);
      if (freed) this.drop(dataId, dispose);
      return freed;
    };
  }

  get entries(): number {
    let n = 0;
    for (const kinds of this.kept.values()) n += kinds.size;
    return n;
  }

  find(filter: Info, kind: PackKind): Info | undefined {
    return this.kept.get(filter.dataId)?.get(kind);
  }

  /** Whether a packing of `floats` for this filter and kind should be kept (its second sighting, within the bound). */
  shouldKeep(filter: Info, kind: PackKind, floats: number): boolean {
    const kinds = this.seen.get(filter.dataId) ?? new Set<PackKind>();
    this.seen.set(filter.dataId, kinds);
    if (!kinds.has(kind)) {
      kinds.add(kind);
      return false;
    }
    return this.floats + floats <= cacheLimit();
  }

  keep(filter: Info, kind: PackKind, packed: Info): void {
    const kinds = this.kept.get(filter.dataId) ?? new Map<PackKind, Info>();
    this.kept.set(filter.dataId, kinds);
    kinds.set(kind, packed);
    this.floats += packed.shape[0]!;
  }

  private drop(dataId: object, dispose: (dataId: object, force?: boolean) => boolean): void {
    const kinds = this.kept.get(dataId);
    if (!kinds) return;
    this.kept.delete(dataId);
    for (const packed of kinds.values()) {
      this.floats -= packed.shape[0]!;
      dispose(packed.dataId, true);
    }
  }
}

/** The bound in floats, read per call (0: nothing is kept or used; A/B runs in one process). */
const cacheLimit = (): number => Number(process.env.CXR_WASM_FILTER_CACHE_MB ?? 128) * 2 ** 18;

const caches = new WeakMap<BackendWasm, FilterCache>();

function cacheOf(backend: BackendWasm): FilterCache {
  let cache = caches.get(backend);
  if (!cache) caches.set(backend, (cache = new FilterCache(backend)));
  return cache;
}

/** What packed filters the backend keeps (tests, `cxr info`). */
export function filterCacheStats(backend: BackendWasm): { entries: number; megabytes: number } {
  const cache = cacheOf(backend);
  return { entries: cache.entries, megabytes: Math.round((cache.floats * 4) / 2 ** 20 * 10) / 10 };
}

/**
 * The filter packed `floats` long by `fill` (given the packing's heap offset, it returns 0 or a
 * kernel's refusal), from the cache or new; `temporary` lists what the caller frees after its call.
 */
function packedFilter(backend: BackendWasm, filter: Info, kind: PackKind, floats: number, fill: (at: number) => number): { info: Info; temporary: Info[] } | undefined {
  const cache = cacheOf(backend);
  const known = cacheLimit() > 0 ? cache.find(filter, kind) : undefined;
  if (known) return { info: known, temporary: [] };
  const packed = backend.makeOutput([floats], 'float32');
  if (fill(heapOffset(backend, packed)) !== 0) {
    backend.disposeData(packed.dataId);
    return undefined;
  }
  if (!cache.shouldKeep(filter, kind, floats)) return { info: packed, temporary: [packed] };
  cache.keep(filter, kind, packed);
  return { info: packed, temporary: [] };
}
