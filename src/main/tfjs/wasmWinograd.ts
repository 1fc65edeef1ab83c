/**
 * 3×3 stride-1 convolutions on wasm by Winograd's F(4×4, 3×3) in our SIMD kernel
 * (simd/winograd.c): 36 multiplies per 4×4 output tile and channel pair where XNNPACK's direct conv
 * takes 144, with the bias and ReLU in the output transform. They are 70 % of cxrResNet's
 * multiply-adds and the forward conv was about 90 % of its folded inference (bench/profileStep.ts);
 * training's forward and its stride-1 input gradients (a 3×3 conv by the flipped filter,
 * wasmKernels.ts) take the same kernel. bench/kernelAB.ts has the per-layer figures.
 *
 * The filter is transformed on every call (about 1 % of the conv's work for 256 → 256 at 4 px):
 * weights change at every training step, and a cache keyed by tensor would outlive them.
 * Undefined where the kernel does not apply (not 3×3 stride 1 dilation 1, channels in not a
 * multiple of 4 or out of 8, CXR_WASM_WINOGRAD=0, the SIMD kernels off or unavailable): the caller
 * runs XNNPACK's conv.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset, simdKernels } from './simdModule';

type Info = tf.TensorInfo;

export function conv3x3Winograd(backend: BackendWasm, x: Info, filter: Info, bias: Info | undefined, info: tf.backend_util.Conv2DInfo, relu: boolean): Info | undefined {
  if (process.env.CXR_WASM_WINOGRAD === '0') return undefined;
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: ci, outHeight: Ho, outWidth: Wo, outChannels: co } = info;
  const square3 = info.filterHeight === 3 && info.filterWidth === 3;
  const plain = info.strideHeight === 1 && info.strideWidth === 1 && info.dilationHeight === 1 && info.dilationWidth === 1;
  if (!square3 || !plain || ci % 4 !== 0 || co % 8 !== 0 || n * Ho * Wo === 0) return undefined;
  if ([x, filter, bias].some((t) => t && t.dtype !== 'float32')) return undefined;
  if (bias && bias.shape.reduce((a, b) => a * b, 1) !== co) return undefined;
  const simd = simdKernels(backend);
  if (!simd) return undefined;
  const u = backend.makeOutput([simd.winograd_filter_size(ci, co)], 'float32');
  const scratch = backend.makeOutput([simd.winograd_scratch(ci, co)], 'float32');
  const y = backend.makeOutput([n, Ho, Wo, co], 'float32');
  // Offsets after the last allocation: growing the heap never moves a tensor.
  const at = (t: Info): number => heapOffset(backend, t);
  let status = simd.winograd_filter(at(filter), at(u), ci, co);
  if (status === 0) {
    const flags = (relu ? 1 : 0) | (bias ? 2 : 0);
    status = simd.conv3x3_winograd(at(x), at(u), bias ? at(bias) : 0, at(y), at(scratch), n, H, W, ci, co, Ho, Wo, info.padInfo.top, info.padInfo.left, flags);
  }
  backend.disposeData(u.dataId);
  backend.disposeData(scratch.dataId);
  if (status === 0) return y;
  backend.disposeData(y.dataId);
  return undefined;
}
