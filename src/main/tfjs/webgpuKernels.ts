import * as tf from '@tensorflow/tfjs';

/**
 * The convolution filter gradient as matrix products, for tfjs-backend-webgpu 4.22. Its stock
 * Conv2DBackpropFilter runs one GPU thread per filter weight, and each thread sums serially over
 * batch × output rows × output columns (204,800 terms for the first block at batch 32): a few
 * hundred busy threads on a GPU of thousands. On the H200 a training step costs about 0.2 s for
 * the 251k-weight model and the 63M-weight one alike while inference runs 7,000–11,000 img/s, which
 * points there. Here dW[r, c] = x_shift(r, c)ᵀ · dy for each of the kh·kw filter taps: products with
 * a long inner dimension, which the backend splits across workgroups (its MatMulSplitK program).
 *
 * Not measured on a GPU yet (the session that wrote it had no device time left), so it is opt-in:
 * CXR_GPU_CONV_GRAD=matmul. bench/gpu-check.sh measures both and checks its gradients.
 */

type Info = tf.TensorInfo;
type KernelArgs = { inputs: Record<string, Info>; backend: tf.KernelBackend; attrs: Record<string, unknown> };
type Kernel = (args: KernelArgs) => Info;

export class GpuKernelError extends Error {
  override name = 'GpuKernelError';
  constructor(reason: string) {
    super(`WebGPU training kernels: ${reason}`);
  }
}

/** The filter gradient built from the named backend's own Pad, Slice, Reshape, BatchMatMul and Concat. */
export function conv2DBackpropFilterByMatMul(backendName: string): Kernel {
  const k = (name: string): Kernel => {
    const cfg = tf.getKernel(name, backendName);
    if (!cfg) throw new GpuKernelError(`the ${backendName} backend has no ${name} kernel to build on`);
    return cfg.kernelFunc as unknown as Kernel;
  };
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: Info; dy: Info };
    const dataFormat = tf.backend_util.convertConv2DDataFormat((attrs.dataFormat as 'NHWC' | 'NCHW') ?? 'NHWC');
    if (dataFormat !== 'channelsLast') throw new GpuKernelError('only NHWC convolutions are supported');
    const filterShape = attrs.filterShape as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      attrs.strides as number | [number, number],
      1,
      attrs.pad as 'same' | 'valid' | number,
      attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
      false,
      dataFormat,
    );
    const { batchSize: n, inHeight: H, inWidth: W, inChannels: ci, outHeight: Ho, outWidth: Wo, outChannels: co } = info;
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
    const pt = info.padInfo.top;
    const pl = info.padInfo.left;
    // Enough zeros below and to the right that every tap's strided window lies inside.
    const pb = Math.max(0, kh - 1 + (Ho - 1) * sh + 1 - H - pt);
    const pr = Math.max(0, kw - 1 + (Wo - 1) * sw + 1 - W - pl);
    const temps: Info[] = [];
    const keep = (t: Info): Info => (temps.push(t), t);
    const xp = keep(k('PadV2')({ inputs: { x }, backend, attrs: { paddings: [[0, 0], [pt, pb], [pl, pr], [0, 0]], constantValue: 0 } }));
    const rows = n * Ho * Wo;
    const dy2 = keep(k('Reshape')({ inputs: { x: dy }, backend, attrs: { shape: [1, rows, co] } }));
    const taps: Info[] = [];
    for (let r = 0; r < kh; r++) {
      for (let c = 0; c < kw; c++) {
        const shifted = keep(
          sh === 1 && sw === 1
            ? k('Slice')({ inputs: { x: xp }, backend, attrs: { begin: [0, r, c, 0], size: [n, Ho, Wo, ci] } })
            : k('StridedSlice')({
                inputs: { x: xp },
                backend,
                attrs: {
                  begin: [0, r, c, 0],
                  end: [n, r + (Ho - 1) * sh + 1, c + (Wo - 1) * sw + 1, ci],
                  strides: [1, sh, sw, 1],
                  beginMask: 0,
                  endMask: 0,
                  ellipsisMask: 0,
                  newAxisMask: 0,
                  shrinkAxisMask: 0,
                },
              }),
        );
        const a = keep(k('Reshape')({ inputs: { x: shifted }, backend, attrs: { shape: [1, rows, ci] } }));
        taps.push(keep(k('BatchMatMul')({ inputs: { a, b: dy2 }, backend, attrs: { transposeA: true, transposeB: false } }))); // [1, ci, co]
      }
    }
    // Concat takes its inputs as a list (the engine passes tf.concat's array through).
    const all = keep(taps.length === 1 ? taps[0]! : k('Concat')({ inputs: taps as unknown as Record<string, Info>, backend, attrs: { axis: 0 } }));
    const dw = k('Reshape')({ inputs: { x: all }, backend, attrs: { shape: filterShape } });
    for (const t of new Set(temps)) backend.disposeData(t.dataId);
    return dw;
  };
}

/** Swaps the backend's Conv2DBackpropFilter for the matmul one; returns what it replaced, for tests. */
export function registerConvFilterGradByMatMul(backendName: string): tf.KernelConfig {
  const stock = tf.getKernel('Conv2DBackpropFilter', backendName);
  if (!stock) throw new GpuKernelError(`the ${backendName} backend has no Conv2DBackpropFilter kernel to replace`);
  tf.unregisterKernel('Conv2DBackpropFilter', backendName);
  tf.registerKernel({ ...stock, kernelFunc: conv2DBackpropFilterByMatMul(backendName) as unknown as tf.KernelFunc });
  return stock;
}
