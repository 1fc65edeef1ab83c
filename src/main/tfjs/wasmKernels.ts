import * as tf from '@tensorflow/tfjs';
import { shareIdentity } from './wasmIdentity';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { makeMaxPool, maxPoolGrad } from './wasmMaxPoolGrad';
import { makeFusedBatchNorm } from './wasmBatchNorm';
import { makeChannelEqual, makeChannelSum } from './wasmChannelOps';
import { makeOuterTile } from './wasmTile';
import { heapOffset, simdKernels } from './simdModule';
import { simdConv2D, simdConv2DInputGrad, type ConvActivation } from './wasmConv';
import { CONV_MAX_POOL, type ConvMaxPoolAttrs } from './convMaxPool';

/**
 * Training kernels for tfjs-backend-wasm 4.22, which lacks Conv2DBackpropFilter and runs
 * Conv2DBackpropInput (strided too) and transposed BatchMatMul on slow scalar paths (TFJS-WASM.md). Each one
 * is rewritten as the forward XNNPACK Conv2D / plain BatchMatMul over transposed operands.
 * The filter gradient runs in our own SIMD kernel where it can (simdModule.ts, simd/convFilterGrad.c);
 * forward convs (inference's too) and 2×2 max pooling in ours where they win (wasmConv.ts, wasmMaxPoolGrad.ts).
 * CXR_WASM_FILTER_GRAD=conv or =patches, CXR_WASM_INPUT_GRAD=spread or =polyphase (and CXR_WASM_POOL_GRAD=loop,
 * wasmMaxPoolGrad.ts) select the earlier, slower routes, read per call: for before/after runs in one
 * process (bench/trainAB.ts).
 */

type Info = tf.TensorInfo;
type KernelArgs = { inputs: Record<string, Info>; backend: BackendWasm; attrs: Record<string, unknown> };
type Kernel = (args: KernelArgs) => Info;

export class WasmKernelError extends Error {
  override name = 'WasmKernelError';
  constructor(reason: string) {
    super(`wasm training kernels: ${reason}`);
  }
}

function kernel(name: string): Kernel {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new WasmKernelError(`the wasm backend has no ${name} kernel to build on`);
  return k.kernelFunc as unknown as Kernel;
}

function transpose(backend: BackendWasm, x: Info, perm: number[]): Info {
  return kernel('Transpose')({ inputs: { x }, backend, attrs: { perm } });
}

function conv(backend: BackendWasm, x: Info, filter: Info, pad: [[number, number], [number, number]], dilations: [number, number]): Info {
  // Explicit padding in NHWC order: [[0,0],[top,bottom],[left,right],[0,0]].
  const explicit = [[0, 0], pad[0], pad[1], [0, 0]];
  return kernel('Conv2D')({
    inputs: { x, filter },
    backend,
    attrs: { strides: [1, 1], dilations, pad: explicit, dataFormat: 'NHWC', dimRoundingMode: undefined },
  });
}

function convInfoOf(xShape: number[], filterShape: number[], attrs: Record<string, unknown>): tf.backend_util.Conv2DInfo {
  const dataFormat = tf.backend_util.convertConv2DDataFormat((attrs.dataFormat as 'NHWC' | 'NCHW') ?? 'NHWC');
  if (dataFormat !== 'channelsLast') throw new WasmKernelError('only NHWC convolutions are supported');
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as number | [number, number],
    (attrs.dilations as number | [number, number] | undefined) ?? 1,
    attrs.pad as 'same' | 'valid' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    false,
    dataFormat,
  );
}

/**
 * dW as (patches)ᵀ · dy, where patches [N·Ho·Wo, kh·kw·ci] are x's receptive fields, gathered by the
 * forward XNNPACK conv with a one-hot filter (exact: each output is one input times 1 plus zeros).
 * For a layer with few inputs per window, such as the 5×5 stem on a gray image (25 values a window),
 * gathering costs fewer multiply-adds than the gradient itself, and the product is one large GEMM;
 * the transposed-conv route below runs that layer with a 64×64 dilated "filter", far off XNNPACK's
 * fast path. bench/kernelAB.ts, CPU ms, alternating, under load: the stem 56 → 38, a 1×1 stride-2
 * projection (32 → 64 at 32 px) 32 → 4.4.
 */
function conv2DBackpropFilterByPatches(backend: BackendWasm, x: Info, dy: Info, info: tf.backend_util.Conv2DInfo): Info {
  const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co, batchSize: n, outHeight: Ho, outWidth: Wo } = info;
  const k = kh * kw * ci;
  const oneHot = backend.makeOutput([kh, kw, ci, k], 'float32');
  const w = (backend as unknown as { typedArrayFromHeap(t: Info): Float32Array }).typedArrayFromHeap(oneHot);
  w.fill(0);
  // Filter element (i, j, c) → output channel (i·kw + j)·ci + c: the flattening of dW's first three axes.
  for (let p = 0; p < k; p++) w[p * k + p] = 1;
  const { top, left, bottom, right } = info.padInfo;
  const patches = kernel('Conv2D')({
    inputs: { x, filter: oneHot },
    backend,
    attrs: { strides: [info.strideHeight, info.strideWidth], dilations: [1, 1], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC', dimRoundingMode: undefined },
  });
  const reshape = (t: Info, shape: number[]): Info => kernel('Reshape')({ inputs: { x: t }, backend, attrs: { shape } });
  const a = reshape(patches, [1, n * Ho * Wo, k]);
  const b = reshape(dy, [1, n * Ho * Wo, co]);
  const prod = kernel('BatchMatMul')({ inputs: { a, b }, backend, attrs: { transposeA: true, transposeB: false } }); // [1, k, co]
  const dw = reshape(prod, [kh, kw, ci, co]);
  for (const t of [oneHot, patches, a, b, prod]) backend.disposeData(t.dataId);
  return dw;
}

/**
 * dW in one pass of our SIMD kernel over x and dy where they lie on the heap (simd/convFilterGrad.c):
 * about 15 GMAC/s a core against 3–9 for the XNNPACK rewrites below. bench/kernelAB.ts, CPU ms,
 * batch 32: the stem 55 → 11, a 3×3 32 → 32 at 32 px 55 → 21, 3×3 stride 2 32 → 64 33 → 11.
 * Undefined where the kernel is off or unavailable (simdModule.ts) or has no block for the channel
 * counts (ci % 4 or co % 8 ≠ 0 and co % 32 ≠ 0): the caller then takes an XNNPACK route.
 */
export function conv2DBackpropFilterSimd(backend: BackendWasm, x: Info, dy: Info, info: tf.backend_util.Conv2DInfo): Info | undefined {
  const simd = simdKernels(backend);
  if (!simd || x.dtype !== 'float32' || dy.dtype !== 'float32') return undefined;
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: ci, outHeight: Ho, outWidth: Wo, outChannels: co } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  if (sh !== sw) return undefined;
  const dw = backend.makeOutput([kh, kw, ci, co], 'float32');
  // Offsets after makeOutput: an allocation may grow the heap, never move a tensor.
  const status = simd.conv2d_filter_grad(heapOffset(backend, x), heapOffset(backend, dy), heapOffset(backend, dw), n, H, W, ci, Ho, Wo, co, kh, kw, sh, info.padInfo.top, info.padInfo.left);
  if (status === 0) return dw;
  backend.disposeData(dw.dataId);
  return undefined;
}

/**
 * dW[kh,kw,ci,co] = Σ_{n,ho,wo} x[n, ho·s+kh−pt, wo·s+kw−pl, ci] · dy[n,ho,wo,co]: a forward conv
 * whose "batch" is ci, whose "channels" are n, and whose filter is dy (dilated by the stride).
 */
export function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): Info {
  const { x, dy } = inputs as { x: Info; dy: Info };
  const filterShape = attrs.filterShape as number[];
  const info = convInfoOf(x.shape, filterShape, attrs);
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    throw new WasmKernelError('Conv2DBackpropFilter with dilation > 1 is not supported');
  }
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, inHeight: H, inWidth: W, outHeight: Ho, outWidth: Wo } = info;
  const route = process.env.CXR_WASM_FILTER_GRAD;
  if (route !== 'conv' && route !== 'patches') {
    const dw = conv2DBackpropFilterSimd(backend, x, dy, info);
    if (dw) return dw;
  }
  if (kh * kw * info.inChannels <= info.outChannels && route !== 'conv') return conv2DBackpropFilterByPatches(backend, x, dy, info);
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  // Output must be kh × kw: H + pt + pb − ((Ho−1)·sh+1) + 1 = kh.
  const pb = kh - 1 + (Ho - 1) * sh + 1 - H - pt;
  const pr = kw - 1 + (Wo - 1) * sw + 1 - W - pl;
  const disposables: Info[] = [];
  let xs = x;
  if (pb < 0 || pr < 0) {
    // Rows the forward conv never read (floor in the output size) are cut off rather than padded negatively.
    xs = kernel('Slice')({
      inputs: { x },
      backend,
      attrs: { begin: [0, 0, 0, 0], size: [x.shape[0], H + Math.min(pb, 0), W + Math.min(pr, 0), x.shape[3]] },
    });
    disposables.push(xs);
  }
  const xt = transpose(backend, xs, [3, 1, 2, 0]); // [ci, H, W, n]
  const dyt = transpose(backend, dy, [1, 2, 0, 3]); // [Ho, Wo, n, co]
  disposables.push(xt, dyt);
  const out = conv(backend, xt, dyt, [[pt, Math.max(pb, 0)], [pl, Math.max(pr, 0)]], [sh, sw]); // [ci, kh, kw, co]
  disposables.push(out);
  const dw = transpose(backend, out, [1, 2, 0, 3]);
  for (const d of disposables) backend.disposeData(d.dataId);
  return dw;
}

/**
 * dy with s−1 zeros after every row and column (a stride-s conv's dy spread back onto the input
 * grid): [N, Ho, Wo, C] → [N, Ho·sh, Wo·sw, C], by reshape and zero padding of one axis at a time.
 */
function spreadByStride(backend: BackendWasm, dy: Info, sh: number, sw: number): Info {
  const [n, ho, wo, c] = dy.shape as [number, number, number, number];
  const reshape = (x: Info, shape: number[]): Info => kernel('Reshape')({ inputs: { x }, backend, attrs: { shape } });
  const pad = (x: Info, paddings: [number, number][]): Info => kernel('PadV2')({ inputs: { x }, backend, attrs: { paddings, constantValue: 0 } });
  const cols = reshape(dy, [n * ho * wo, 1, c]);
  const wide = pad(cols, [[0, 0], [0, sw - 1], [0, 0]]); // [N·Ho·Wo, sw, C]
  const rows = reshape(wide, [n * ho, 1, wo * sw * c]);
  const tall = pad(rows, [[0, 0], [0, sh - 1], [0, 0]]); // [N·Ho, sh, Wo·sw·C]
  const out = reshape(tall, [n, ho * sh, wo * sw, c]);
  for (const t of [cols, wide, rows, tall]) backend.disposeData(t.dataId);
  return out;
}

/**
 * A strided 1×1 conv's dx: the 1×1 conv by Wᵀ at dy's resolution, then spread onto the input grid,
 * rather than the 1×1 conv over the spread dy (sh·sw times the multiply-adds, all but one in sh·sw on
 * zeros). pb, pr: rows / columns of the input past the spread (zeros), or cut where negative.
 */
function strided1x1InputGrad(backend: BackendWasm, dy: Info, filter: Info, sh: number, sw: number, pb: number, pr: number): Info {
  const wt = transpose(backend, filter, [0, 1, 3, 2]);
  const small = conv(backend, dy, wt, [[0, 0], [0, 0]], [1, 1]); // [N, Ho, Wo, ci]
  const spread = spreadByStride(backend, small, sh, sw);
  const disposables = [wt, small];
  let dx = spread;
  const [n, ho, wo, c] = spread.shape as [number, number, number, number];
  if (pb < 0 || pr < 0) {
    disposables.push(dx);
    dx = kernel('Slice')({ inputs: { x: dx }, backend, attrs: { begin: [0, 0, 0, 0], size: [n, ho + Math.min(pb, 0), wo + Math.min(pr, 0), c] } });
  }
  if (pb > 0 || pr > 0) {
    disposables.push(dx);
    dx = kernel('PadV2')({ inputs: { x: dx }, backend, attrs: { paddings: [[0, 0], [0, Math.max(pb, 0)], [0, Math.max(pr, 0)], [0, 0]], constantValue: 0 } });
  }
  for (const d of disposables) backend.disposeData(d.dataId);
  return dx;
}

/** Per axis of a strided conv's input: which dy offset and tap feed each phase (polyphaseInputGrad). */
function phaseTaps(k: number, s: number, pad: number): { emin: number; emax: number } {
  // Input i = s·m + a receives dy[o]·W[t] where s·o + t − pad = i: o = m + e, e = (a + pad − t) / s.
  let emin = Infinity;
  let emax = -Infinity;
  for (let a = 0; a < s; a++) {
    for (let t = 0; t < k; t++) {
      if ((a + pad - t) % s !== 0) continue;
      const e = (a + pad - t) / s;
      emin = Math.min(emin, e);
      emax = Math.max(emax, e);
    }
  }
  return { emin, emax };
}

/**
 * A strided conv's dx as one stride-1 conv at dy's resolution with sh·sw·ci output channels, one
 * group per phase of the input grid (which input rows / columns mod s), then depth-to-space: the
 * spread-dy route multiplies s² times as many zeros (2.25× the multiply-adds for a 3×3 stride 2).
 * The filter's taps, regrouped per phase, are the same products as the reference's, summed in
 * another order. Returns undefined for layouts it does not cover (a dy row no input uses).
 * bench/kernelAB.ts, CPU ms, alternating, under load: cxrResNet's three 3×3 stride-2 stage entries
 * 51 → 25 (128 → 256 at 8 px), 38 → 18, 37 → 17.
 */
function polyphaseInputGrad(backend: BackendWasm, dy: Info, filter: Info, info: tf.backend_util.Conv2DInfo): Info | undefined {
  const { filterHeight: kh, filterWidth: kw, inHeight: H, inWidth: W, outHeight: Ho, outWidth: Wo, strideHeight: sh, strideWidth: sw, inChannels: ci, outChannels: co } = info;
  const rows = phaseTaps(kh, sh, info.padInfo.top);
  const cols = phaseTaps(kw, sw, info.padInfo.left);
  const Mh = Math.ceil(H / sh);
  const Mw = Math.ceil(W / sw);
  const pads = [-rows.emin, Mh - Ho + rows.emax, -cols.emin, Mw - Wo + cols.emax];
  if (pads.some((p) => p < 0) || !Number.isFinite(rows.emin + cols.emin)) return undefined;
  const U = rows.emax - rows.emin + 1;
  const V = cols.emax - cols.emin + 1;
  const groups = sh * sw * ci;
  const heap = (t: Info): Float32Array => (backend as unknown as { typedArrayFromHeap(t: Info): Float32Array }).typedArrayFromHeap(t);
  const f = backend.makeOutput([U, V, co, groups], 'float32');
  const fv = heap(f);
  const wv = heap(filter); // after makeOutput: allocation may move the heap
  fv.fill(0);
  for (let u = 0; u < U; u++) {
    for (let a = 0; a < sh; a++) {
      const th = a + info.padInfo.top - sh * (u + rows.emin);
      if (th < 0 || th >= kh) continue;
      for (let v = 0; v < V; v++) {
        for (let b = 0; b < sw; b++) {
          const tw = b + info.padInfo.left - sw * (v + cols.emin);
          if (tw < 0 || tw >= kw) continue;
          const g0 = (a * sw + b) * ci;
          for (let c = 0; c < ci; c++) {
            const src = ((th * kw + tw) * ci + c) * co;
            for (let o = 0; o < co; o++) fv[((u * V + v) * co + o) * groups + g0 + c] = wv[src + o]!;
          }
        }
      }
    }
  }
  const phased = conv(backend, dy, f, [[pads[0]!, pads[1]!], [pads[2]!, pads[3]!]], [1, 1]); // [N, Mh, Mw, sh·sw·ci]
  const n = dy.shape[0]!;
  const reshape = (t: Info, shape: number[]): Info => kernel('Reshape')({ inputs: { x: t }, backend, attrs: { shape } });
  const six = reshape(phased, [n, Mh, Mw, sh, sw, ci]);
  const moved = transpose(backend, six, [0, 1, 3, 2, 4, 5]); // [N, Mh, sh, Mw, sw, ci]
  let dx = reshape(moved, [n, Mh * sh, Mw * sw, ci]);
  const disposables = [f, phased, six, moved];
  if (Mh * sh > H || Mw * sw > W) {
    disposables.push(dx);
    dx = kernel('Slice')({ inputs: { x: dx }, backend, attrs: { begin: [0, 0, 0, 0], size: [n, H, W, ci] } });
  }
  for (const d of disposables) backend.disposeData(d.dataId);
  return dx;
}

/**
 * W[kh−1−i, kw−1−j, co, ci] from W[i, j, ci, co] in one pass over the heap: the stock Reverse is a
 * slow loop. bench/kernelAB.ts, CPU ms, alternating, under load: the 3×3 256→256 input gradient at
 * 4 px 41 → 23, 128→128 at 8 px 23 → 18.
 */
function flipSwapFilter(backend: BackendWasm, filter: Info): Info {
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const out = backend.makeOutput([kh, kw, co, ci], 'float32');
  const heap = (t: Info): Float32Array => (backend as unknown as { typedArrayFromHeap(t: Info): Float32Array }).typedArrayFromHeap(t);
  const dst = heap(out);
  const src = heap(filter); // after makeOutput: allocation may move the heap
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const s0 = (i * kw + j) * ci * co;
      const d0 = ((kh - 1 - i) * kw + (kw - 1 - j)) * co * ci;
      for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) dst[d0 + o * ci + c] = src[s0 + c * co + o]!;
    }
  }
  return out;
}

/**
 * dx = conv(dy, W flipped in space with ci/co swapped), padded by k−1−p. A stride-s conv's dy is
 * first spread onto the input grid with zeros between (spreadByStride), which makes it a stride-1
 * conv as well: s² times the multiply-adds of the ideal, but on XNNPACK rather than the stock
 * kernel's scalar loop. Measured in a cxrResNet training step on wasm (bench/profileStep.ts): the
 * six stride-2 input gradients took 558 ms with the stock kernel, 171 ms this way (under the same load).
 * Strided convs now go to strided1x1InputGrad / polyphaseInputGrad first; this route remains for
 * the layouts those do not cover, and as the "before" of bench/trainAB.ts (CXR_WASM_INPUT_GRAD=spread).
 */
function makeConv2DBackpropInput(stock: Kernel): Kernel {
  return ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: Info; filter: Info };
    const inputShape = attrs.inputShape as number[];
    const info = convInfoOf(inputShape, filter.shape, { ...attrs, dilations: 1 });
    const { filterHeight: kh, filterWidth: kw, inHeight: H, inWidth: W, outHeight: Ho, outWidth: Wo, strideHeight: sh, strideWidth: sw } = info;
    const pt = kh - 1 - info.padInfo.top;
    const pl = kw - 1 - info.padInfo.left;
    // The spread dy has Ho·sh rows (its last sh−1 all zeros); the conv needs H + kh − 1 rows in all.
    let pb = H + kh - 1 - pt - Ho * sh;
    let pr = W + kw - 1 - pl - Wo * sw;
    // Rows past the last real dy row (cut when negative) must be zeros only: −pb ≤ sh − 1.
    if (pt < 0 || pl < 0 || pb < 1 - sh || pr < 1 - sw) return stock({ inputs, backend, attrs });
    const route = process.env.CXR_WASM_INPUT_GRAD;
    if ((sh > 1 || sw > 1) && route !== 'spread' && route !== 'polyphase') {
      const dx = simdConv2DInputGrad(backend, dy, filter, info);
      if (dx) return dx;
    }
    if (kh === 1 && kw === 1 && (sh > 1 || sw > 1) && route !== 'spread') return strided1x1InputGrad(backend, dy, filter, sh, sw, pb, pr);
    if ((sh > 1 || sw > 1) && route !== 'spread') {
      const dx = polyphaseInputGrad(backend, dy, filter, info);
      if (dx) return dx;
    }
    const disposables: Info[] = [];
    let spread = dy;
    if (sh > 1 || sw > 1) {
      spread = spreadByStride(backend, dy, sh, sw);
      disposables.push(spread);
      if (pb < 0 || pr < 0) {
        const [n, , , c] = dy.shape as number[];
        const cut = kernel('Slice')({ inputs: { x: spread }, backend, attrs: { begin: [0, 0, 0, 0], size: [n, Ho * sh + Math.min(pb, 0), Wo * sw + Math.min(pr, 0), c] } });
        disposables.push(cut);
        spread = cut;
        pb = Math.max(pb, 0);
        pr = Math.max(pr, 0);
      }
    }
    let wt: Info;
    if (process.env.CXR_WASM_INPUT_GRAD === 'spread') {
      const flipped = kernel('Reverse')({ inputs: { x: filter }, backend, attrs: { dims: [0, 1] } });
      wt = transpose(backend, flipped, [0, 1, 3, 2]);
      disposables.push(flipped);
    } else wt = flipSwapFilter(backend, filter);
    disposables.push(wt);
    const dx = conv(backend, spread, wt, [[pt, pb], [pl, pr]], [1, 1]);
    for (const d of disposables) backend.disposeData(d.dataId);
    return dx;
  };
}

/** XNNPACK's fast GEMM needs plain operands; transposing explicitly costs far less than the slow path. */
function makeBatchMatMul(stock: Kernel): Kernel {
  return ({ inputs, backend, attrs }) => {
    if (!attrs.transposeA && !attrs.transposeB) return stock({ inputs, backend, attrs });
    const swapLast = (t: Info): Info => {
      const r = t.shape.length;
      const perm = [...Array(r).keys()];
      perm[r - 2] = r - 1;
      perm[r - 1] = r - 2;
      return transpose(backend, t, perm);
    };
    const size = (t: Info) => t.shape.reduce((x, y) => x * y, 1);
    if (!attrs.transposeA && attrs.transposeB && size(inputs.a!) * 8 < size(inputs.b!)) {
      // A·Bᵀ with a small A and a big B (a gradient through a large Dense layer, as in Grad-CAM):
      // (B·Aᵀ)ᵀ transposes only small tensors instead of B (3.5 s → ms for zhong2020's 13152×4096).
      const at = swapLast(inputs.a!);
      const bat = stock({ inputs: { a: inputs.b!, b: at }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
      const out = swapLast(bat);
      backend.disposeData(at.dataId);
      backend.disposeData(bat.dataId);
      return out;
    }
    const a = attrs.transposeA ? swapLast(inputs.a!) : inputs.a!;
    const b = attrs.transposeB ? swapLast(inputs.b!) : inputs.b!;
    const out = stock({ inputs: { a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    if (a !== inputs.a) backend.disposeData(a.dataId);
    if (b !== inputs.b) backend.disposeData(b.dataId);
    return out;
  };
}

/**
 * Conv2D and FusedConv2D (bias, ReLU) in our SIMD kernels where they win (wasmConv.ts: Winograd for
 * 3×3 stride 1, a direct conv for strided windows), with a ReLU or an ELU (the zhong models'); the
 * rest, and other activations, on XNNPACK's.
 */
function makeForwardConv(stock: Kernel): Kernel {
  return (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, Info | undefined>;
    const activation = (args.attrs.activation as string | undefined) ?? 'linear';
    const nhwc = ((args.attrs.dataFormat as string | undefined) ?? 'NHWC') === 'NHWC';
    if (!x || !filter || preluActivationWeights || !nhwc || !['linear', 'relu', 'elu'].includes(activation)) return stock(args);
    const info = convInfoOf(x.shape, filter.shape, args.attrs);
    return simdConv2D(args.backend, x, filter, bias, info, activation as ConvActivation) ?? stock(args);
  };
}

/**
 * convMaxPool.ts's conv and 2×2 max pool: pooled in the Winograd output transform where our kernels
 * take the conv (wasmConv.ts), else the FusedConv2D and MaxPool kernels one after the other.
 */
const convMaxPool: Kernel = ({ inputs, backend, attrs }) => {
  const { x, filter, bias } = inputs as Record<string, Info | undefined>;
  const a = attrs as unknown as ConvMaxPoolAttrs;
  const info = convInfoOf(x!.shape, filter!.shape, { strides: a.strides, pad: a.pad });
  const pooled = simdConv2D(backend, x!, filter!, bias, info, a.activation, true);
  if (pooled) return pooled;
  const conv = kernel('FusedConv2D')({ inputs: { x: x!, filter: filter!, ...(bias ? { bias } : {}) }, backend, attrs: { strides: a.strides, pad: a.pad, dataFormat: 'NHWC', dilations: 1, activation: a.activation } });
  const y = kernel('MaxPool')({ inputs: { x: conv }, backend, attrs: { filterSize: 2, strides: 2, pad: a.poolPad } });
  backend.disposeData(conv.dataId);
  return y;
};

export interface WasmKernelReport {
  registered: string[];
}

let done: WasmKernelReport | undefined;

/** Registers (once) the training kernels on the wasm backend; call after the wasm backend exists. */
export function registerWasmTrainingKernels(): WasmKernelReport {
  if (done) return done;
  const registered: string[] = [];
  const replace = (name: string, make: (stock: Kernel) => Kernel): void => {
    const stockCfg = tf.getKernel(name, 'wasm');
    if (!stockCfg) throw new WasmKernelError(`the wasm backend has no ${name} kernel to wrap`);
    const stock = stockCfg.kernelFunc as unknown as Kernel;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...stockCfg, kernelFunc: make(stock) as unknown as tf.KernelFunc });
    registered.push(name);
  };
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    tf.registerKernel({
      kernelName: 'Conv2DBackpropFilter',
      backendName: 'wasm',
      kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
    });
    registered.push('Conv2DBackpropFilter');
  }
  replace('Conv2D', makeForwardConv);
  replace('FusedConv2D', makeForwardConv);
  replace('Conv2DBackpropInput', makeConv2DBackpropInput);
  replace('BatchMatMul', makeBatchMatMul);
  // The stock one loses the gradient of all-negative windows (see wasmMaxPoolGrad.ts).
  replace('MaxPoolGrad', () => maxPoolGrad as unknown as Kernel);
  replace('MaxPool', (stock) => makeMaxPool(stock as unknown as Parameters<typeof makeMaxPool>[0]) as unknown as Kernel);
  replace('Identity', () => shareIdentity as unknown as Kernel);
  replace('FusedBatchNorm', (stock) => makeFusedBatchNorm(stock, kernel));
  replace('Sum', (stock) => makeChannelSum(stock, kernel));
  replace('Equal', makeChannelEqual);
  // Inference's MC dropout repeats the pooled features once per sample (wasmTile.ts).
  replace('Tile', makeOuterTile);
  if (!tf.getKernel(CONV_MAX_POOL, 'wasm')) {
    tf.registerKernel({ kernelName: CONV_MAX_POOL, backendName: 'wasm', kernelFunc: convMaxPool as unknown as tf.KernelFunc });
    registered.push(CONV_MAX_POOL);
  }
  done = { registered };
  return done;
}
