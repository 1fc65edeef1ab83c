/**
 * MaxPoolGrad for the wasm backend, replacing tfjs-backend-wasm 4.22's, which drops the gradient
 * of every window whose values are all negative (measured: 9 of 128 windows of a random [-1, 1]
 * input lose their gradient; its maximum search evidently starts at 0, not -Infinity). Our models
 * pool ELU outputs, which are negative wherever a unit is off, so this matters for training.
 *
 * Same rule as the cpu backend: each output's gradient goes to the first maximum of its window.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset, simdKernels } from './simdModule';

interface WasmBackendLike {
  readSync(dataId: object): tf.backend_util.BackendValues;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

interface MaxPoolGradArgs {
  inputs: { dy: tf.TensorInfo; input: tf.TensorInfo; output: tf.TensorInfo };
  backend: WasmBackendLike;
  attrs: { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
}

type PoolKernel = (args: { inputs: { x: tf.TensorInfo }; backend: BackendWasm; attrs: MaxPoolGradArgs['attrs'] }) => tf.TensorInfo;

/**
 * MaxPool with 2×2 windows at stride 2 inside the input (every pool of our models) in our SIMD
 * kernel (simd/maxPool.c): one pass over the input, where XNNPACK's took 6.7 ms of a 70 ms folded
 * cxrResNet batch. Other windows, CXR_WASM_POOL=xnnpack, and the SIMD kernels off: the stock kernel.
 */
export function makeMaxPool(stock: PoolKernel): PoolKernel {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x;
    const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth } = info;
    const fits = info.effectiveFilterHeight === 2 && info.effectiveFilterWidth === 2 && info.strideHeight === 2 && info.strideWidth === 2;
    const simd = fits && info.padInfo.top === 0 && info.padInfo.left === 0 && x.dtype === 'float32' && process.env.CXR_WASM_POOL !== 'xnnpack' ? simdKernels(backend) : null;
    if (!simd) return stock(args);
    const y = backend.makeOutput([batchSize, outHeight, outWidth, C], 'float32');
    if (simd.max_pool_2x2(heapOffset(backend, x), heapOffset(backend, y), batchSize, inHeight, inWidth, C, outHeight, outWidth) === 0) return y;
    backend.disposeData(y.dataId);
    return stock(args);
  };
}

export function maxPoolGrad({ inputs, backend, attrs }: MaxPoolGradArgs): tf.TensorInfo {
  const { dy, input } = inputs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  // The output first: allocating may grow the wasm heap, which detaches views taken before.
  const out = backend.makeOutput(input.shape, 'float32');
  const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const tiled = fh === strideHeight && fw === strideWidth && top === 0 && left === 0 && outHeight * fh <= inHeight && outWidth * fw <= inWidth && process.env.CXR_WASM_POOL_GRAD !== 'loop';
  // 2×2 windows in our SIMD kernel (simd/maxPool.c), which writes every element of dx.
  const simd = tiled && fh === 2 && fw === 2 && dy.dtype === 'float32' ? simdKernels(backend as unknown as BackendWasm) : null;
  if (simd) {
    const wasm = backend as unknown as BackendWasm;
    const status = simd.max_pool_grad_2x2(heapOffset(wasm, input), heapOffset(wasm, dy), heapOffset(wasm, out), batchSize, inHeight, inWidth, C, outHeight, outWidth);
    if (status === 0) return out;
  }
  const dx = backend.typedArrayFromHeap(out);
  dx.fill(0);
  if (tiled) {
    // Windows that tile the input without overlap or padding (every pool of our models): read the
    // heap in place rather than through readSync's copies.
    tiledPoolGrad(backend.typedArrayFromHeap(input), backend.typedArrayFromHeap(dy), dx, info);
    return out;
  }
  const x = backend.readSync(input.dataId) as Float32Array;
  const g = backend.readSync(dy.dataId) as Float32Array;
  for (let b = 0; b < batchSize; b++) {
    const xb = b * inHeight * inWidth * C;
    const gb = b * outHeight * outWidth * C;
    for (let r = 0; r < outHeight; r++) {
      const r0 = r * strideHeight - top;
      for (let c = 0; c < outWidth; c++) {
        const c0 = c * strideWidth - left;
        for (let ch = 0; ch < C; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let i = Math.max(0, r0); i < Math.min(inHeight, r0 + fh); i++) {
            for (let j = Math.max(0, c0); j < Math.min(inWidth, c0 + fw); j++) {
              const k = xb + (i * inWidth + j) * C + ch;
              const v = x[k]!;
              if (v > best || at < 0) {
                best = v;
                at = k;
              }
            }
          }
          if (at >= 0) dx[at] = dx[at]! + g[gb + (r * outWidth + c) * C + ch]!;
        }
      }
    }
  }
  return out;
}

/**
 * The same rule for fh = stride, fw = stride windows lying inside the input, a channel row at a time
 * (C contiguous values) instead of one channel's window at a time, on the heap in place. cxrResNet's
 * stem pool ([32, 64, 64, 32] → 32 px): 47.5 → 25.9 ms CPU, alternating in one process, under load.
 * Each input belongs to at most one window, so dx is assigned, not summed.
 */
function tiledPoolGrad(x: Float32Array, g: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth, strideHeight: fh, strideWidth: fw } = info;
  if (fh === 2 && fw === 2) return tiled2x2(x, g, dx, info);
  const best = new Float32Array(C);
  const at = new Int32Array(C);
  for (let b = 0; b < batchSize; b++) {
    for (let r = 0; r < outHeight; r++) {
      for (let c = 0; c < outWidth; c++) {
        const base = ((b * inHeight + r * fh) * inWidth + c * fw) * C;
        for (let ch = 0; ch < C; ch++) {
          best[ch] = x[base + ch]!;
          at[ch] = base + ch;
        }
        // Row-major window order with a strict >: the first maximum wins, as on cpu.
        for (let i = 0; i < fh; i++) {
          for (let j = i === 0 ? 1 : 0; j < fw; j++) {
            const k0 = base + (i * inWidth + j) * C;
            for (let ch = 0; ch < C; ch++) {
              const v = x[k0 + ch]!;
              if (v > best[ch]!) {
                best[ch] = v;
                at[ch] = k0 + ch;
              }
            }
          }
        }
        const o = ((b * outHeight + r) * outWidth + c) * C;
        for (let ch = 0; ch < C; ch++) dx[at[ch]!] = g[o + ch]!;
      }
    }
  }
}

/** 2×2 windows, the four values compared in registers (row-major, strict >: the first maximum). */
function tiled2x2(x: Float32Array, g: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth } = info;
  const row = inWidth * C;
  let o = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let r = 0; r < outHeight; r++) {
      for (let c = 0; c < outWidth; c++) {
        const base = ((b * inHeight + 2 * r) * inWidth + 2 * c) * C;
        for (let ch = 0; ch < C; ch++, o++) {
          let k = base + ch;
          let best = x[k]!;
          const k1 = k + C;
          const k2 = k + row;
          const k3 = k2 + C;
          if (x[k1]! > best) {
            best = x[k1]!;
            k = k1;
          }
          if (x[k2]! > best) {
            best = x[k2]!;
            k = k2;
          }
          if (x[k3]! > best) k = k3;
          dx[k] = g[o]!;
        }
      }
    }
  }
}
