/**
 * Two per-channel ops of the backward pass on wasm, where the stock kernels take slow general
 * paths for an NHWC map against one value per channel:
 * - Sum over [0, 1, 2] (a conv bias's gradient, batch norm's statistics): the stock kernel
 *   transposes the channels outermost first. Here XNNPACK average-pools each image to one pixel,
 *   and a JS loop adds the images up: 6 ms against 36 ms for a 32×64×64×32 map.
 * - Equal of a map with its per-image, per-channel maximum (the gradient of global max pooling,
 *   zhongSlim's and zhong2020's heads): the stock broadcasting comparison recomputes indices per
 *   element. A plain loop instead.
 * Measured in a zhongSlim training step on wasm (bench/profileStep.ts, A/B on the same loaded
 * machine): Equal 354–369 ms → 24–31 ms, Sum 99–111 ms → 23–30 ms a step, about 0.4 s of 3 s.
 * Any other shape goes to the stock kernel.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Info = tf.TensorInfo;
type Kernel = (args: { inputs: Record<string, Info>; backend: BackendWasm; attrs: Record<string, unknown> }) => Info;

const heap = (backend: BackendWasm, t: Info) => (backend as unknown as { typedArrayFromHeap(t: Info): Float32Array | Int32Array | Uint8Array }).typedArrayFromHeap(t);

export function makeChannelSum(stock: Kernel, kernel: (name: string) => Kernel): Kernel {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: Info };
    const axes = (Array.isArray(attrs.axis) ? (attrs.axis as number[]) : [attrs.axis as number]).map((a) => (a < 0 ? a + x.shape.length : a)).sort();
    if (x.dtype !== 'float32' || x.shape.length !== 4 || axes.join() !== '0,1,2') return stock({ inputs, backend, attrs });
    const [n, h, w, c] = x.shape as [number, number, number, number];
    if (n * h * w === 0) return stock({ inputs, backend, attrs });
    const pooled = kernel('AvgPool')({ inputs: { x }, backend, attrs: { filterSize: [h, w], strides: [h, w], pad: 'valid', dimRoundingMode: undefined } });
    const out = backend.makeOutput(attrs.keepDims ? [1, 1, 1, c] : [c], 'float32');
    // Views after the last allocation: a heap that grows detaches the views taken before.
    const p = heap(backend, pooled) as Float32Array; // [N, 1, 1, C]: each image's channel means
    const o = heap(backend, out) as Float32Array;
    o.fill(0);
    for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) o[k] = o[k]! + p[i * c + k]!;
    const hw = h * w;
    for (let k = 0; k < c; k++) o[k] = o[k]! * hw;
    backend.disposeData(pooled.dataId);
    return out;
  };
}

/** [N, H, W, C] against [N or 1, 1, 1, C], in either order; else null. */
function mapAndChannels(a: Info, b: Info): { map: Info; per: Info } | null {
  const fits = (m: Info, v: Info) =>
    m.shape.length === 4 && v.shape.length === 4 && v.shape[1] === 1 && v.shape[2] === 1 && v.shape[3] === m.shape[3] && (v.shape[0] === 1 || v.shape[0] === m.shape[0]) && m.shape[1]! * m.shape[2]! > 1;
  if (fits(a, b)) return { map: a, per: b };
  if (fits(b, a)) return { map: b, per: a };
  return null;
}

export function makeChannelEqual(stock: Kernel): Kernel {
  return ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: Info; b: Info };
    const pair = a.dtype === b.dtype && a.dtype !== 'string' && a.dtype !== 'complex64' ? mapAndChannels(a, b) : null;
    if (!pair) return stock({ inputs, backend, attrs });
    const [n, h, w, c] = pair.map.shape as [number, number, number, number];
    const out = backend.makeOutput(pair.map.shape, 'bool');
    // Views after the allocation: a heap that grows detaches the views taken before.
    const x = heap(backend, pair.map);
    const v = heap(backend, pair.per);
    const o = heap(backend, out) as Uint8Array;
    const perImage = pair.per.shape[0] === n ? c : 0;
    const hwc = h * w * c;
    for (let i = 0; i < n; i++) {
      const vb = i * perImage;
      for (let j = i * hwc, end = j + hwc; j < end; j += c) {
        for (let k = 0; k < c; k++) o[j + k] = x[j + k] === v[vb + k] ? 1 : 0;
      }
    }
    return out;
  };
}
