/**
 * Forward convolutions on wasm in our SIMD kernels, with the bias and the ReLU or ELU in their
 * epilogue (simd/epilogue.h; the stock Elu kernel after the conv was half of zhongSlim's first layer):
 * - 3×3 stride 1 by Winograd's F(4×4, 3×3) (simd/winograd.c): 36 multiplies per 4×4 output tile
 *   and channel pair where a direct conv takes 144. They are 70 % of cxrResNet's multiply-adds;
 *   training's forward and its stride-1 input gradients (a 3×3 conv by the flipped filter,
 *   wasmKernels.ts) take it too.
 * - the strided 3×3 and 5×5 convs by a register-blocked direct conv (simd/directConv.c), and
 *   strided convs' input gradients the same way, phase by phase (simd/convInputGrad.c).
 * Filters are transformed or repacked on every call (about 1 % of the conv's work for 256 → 256 at
 * 4 px): weights change at every training step, and a cache keyed by tensor would outlive them.
 * Per layer, batch 32, against XNNPACK's conv (bench/kernelAB.ts) — see the README's Benchmarks.
 * CXR_WASM_CONV=xnnpack runs XNNPACK's conv for all, =direct the direct kernel where Winograd would
 * run (before/after runs in one process); the SIMD kernels off or unavailable (simdModule.ts) is
 * XNNPACK as well.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset, simdKernels, type SimdExports } from './simdModule';

type Info = tf.TensorInfo;

export type ConvActivation = 'linear' | 'relu' | 'elu';

/** act(conv(x, filter) + bias) in one of our kernels, or undefined where none applies (the caller runs XNNPACK's). */
export function simdConv2D(backend: BackendWasm, x: Info, filter: Info, bias: Info | undefined, info: tf.backend_util.Conv2DInfo, act: ConvActivation): Info | undefined {
  const route = process.env.CXR_WASM_CONV;
  if (route === 'xnnpack') return undefined;
  const { batchSize: n, outHeight: Ho, outWidth: Wo, inChannels: ci, outChannels: co } = info;
  if (co % 8 !== 0 || n * Ho * Wo === 0 || info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
  if ([x, filter, bias].some((t) => t && t.dtype !== 'float32')) return undefined;
  if (bias && bias.shape.reduce((a, b) => a * b, 1) !== co) return undefined;
  const simd = simdKernels(backend);
  if (!simd) return undefined;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  if (kh === 3 && kw === 3 && sh === 1 && sw === 1 && ci % 4 === 0 && route !== 'direct') return winograd(backend, simd, x, filter, bias, info, act);
  // Where the direct kernel beats XNNPACK's (bench/kernelAB.ts): strided windows of 3×3 and up.
  if (sh === sw && (kh >= 3 || kw >= 3) && (sh > 1 || route === 'direct')) return direct(backend, simd, x, filter, bias, info, act);
  return undefined;
}

/** The kernels' flags (simd/epilogue.h): 1 ReLU, 2 bias, 4 ELU. */
const flagsOf = (act: ConvActivation, bias: Info | undefined): number => (act === 'relu' ? 1 : act === 'elu' ? 4 : 0) | (bias ? 2 : 0);

function winograd(backend: BackendWasm, simd: SimdExports, x: Info, filter: Info, bias: Info | undefined, info: tf.backend_util.Conv2DInfo, act: ConvActivation): Info | undefined {
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: ci, outHeight: Ho, outWidth: Wo, outChannels: co } = info;
  const u = backend.makeOutput([simd.winograd_filter_size(ci, co)], 'float32');
  const scratch = backend.makeOutput([simd.winograd_scratch(ci, co)], 'float32');
  const y = backend.makeOutput([n, Ho, Wo, co], 'float32');
  // Offsets after the last allocation: growing the heap never moves a tensor.
  const at = (t: Info): number => heapOffset(backend, t);
  let status = simd.winograd_filter(at(filter), at(u), ci, co);
  if (status === 0) {
    status = simd.conv3x3_winograd(at(x), at(u), bias ? at(bias) : 0, at(y), at(scratch), n, H, W, ci, co, Ho, Wo, info.padInfo.top, info.padInfo.left, flagsOf(act, bias));
  }
  return finish(backend, y, status, [u, scratch]);
}

function direct(backend: BackendWasm, simd: SimdExports, x: Info, filter: Info, bias: Info | undefined, info: tf.backend_util.Conv2DInfo, act: ConvActivation): Info | undefined {
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: ci, outHeight: Ho, outWidth: Wo, outChannels: co, filterHeight: kh, filterWidth: kw } = info;
  const packed = backend.makeOutput([kh * kw * ci * co + ci], 'float32'); // and ci zeros
  const y = backend.makeOutput([n, Ho, Wo, co], 'float32');
  const at = (t: Info): number => heapOffset(backend, t);
  simd.conv_pack_filter(at(filter), at(packed), kh * kw, ci, co);
  const status = simd.conv2d_direct(at(x), at(packed), bias ? at(bias) : 0, at(y), n, H, W, ci, Ho, Wo, co, kh, kw, info.strideHeight, info.padInfo.top, info.padInfo.left, flagsOf(act, bias));
  return finish(backend, y, status, [packed]);
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
  const packed = backend.makeOutput([kh * kw * ci * co + co], 'float32'); // and co zeros
  const dx = backend.makeOutput([n, H, W, ci], 'float32');
  const at = (t: Info): number => heapOffset(backend, t);
  simd.conv_pack_filter_t(at(filter), at(packed), kh * kw, ci, co);
  const status = simd.conv2d_input_grad(at(dy), at(packed), at(dx), n, H, W, ci, Ho, Wo, co, kh, kw, s, info.padInfo.top, info.padInfo.left);
  return finish(backend, dx, status, [packed]);
}

function finish(backend: BackendWasm, y: Info, status: number, temporaries: Info[]): Info | undefined {
  for (const t of temporaries) backend.disposeData(t.dataId);
  if (status === 0) return y;
  backend.disposeData(y.dataId);
  return undefined;
}
