/**
 * MaxPoolGrad for the wasm backend, replacing tfjs-backend-wasm 4.22's, which drops the gradient
 * of every window whose values are all negative (measured: 9 of 128 windows of a random [-1, 1]
 * input lose their gradient; its maximum search evidently starts at 0, not -Infinity). Our models
 * pool ELU outputs, which are negative wherever a unit is off, so this matters for training.
 *
 * Same rule as the cpu backend: each output's gradient goes to the first maximum of its window.
 */
import * as tf from '@tensorflow/tfjs';

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
  const x = backend.readSync(input.dataId) as Float32Array;
  const g = backend.readSync(dy.dataId) as Float32Array;
  const out = backend.makeOutput(input.shape, 'float32');
  const dx = backend.typedArrayFromHeap(out);
  dx.fill(0);
  const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
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
