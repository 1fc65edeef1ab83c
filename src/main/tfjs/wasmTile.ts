/**
 * Tile on wasm where only the outermost axis repeats (reps [s, 1, …, 1]): the output is s copies of
 * the input back to back, so one typed-array copy each. The stock wasm kernel is a scalar loop that
 * recomputes every element's source index: tiling MC dropout's [16, 256] pooled features 30 times
 * (confidence/band.ts, the conv trunk's output repeated once per sample) took 10–11 ms CPU, about a
 * tenth of a 16-image prediction of the default model (bench/predictorSpeed.ts, CPU time under load).
 * Any other reps go to the stock kernel.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Info = tf.TensorInfo;
type Kernel = (args: { inputs: Record<string, Info>; backend: BackendWasm; attrs: Record<string, unknown> }) => Info;

const heap = (backend: BackendWasm, t: Info) => (backend as unknown as { typedArrayFromHeap(t: Info): Float32Array | Int32Array | Uint8Array }).typedArrayFromHeap(t);

export function makeOuterTile(stock: Kernel): Kernel {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: Info };
    const reps = attrs.reps as number[];
    const outer = x.shape.length >= 1 && reps.length === x.shape.length && reps.slice(1).every((r) => r === 1) && reps[0]! >= 1;
    if (!outer || x.dtype === 'string' || x.dtype === 'complex64') return stock({ inputs, backend, attrs });
    const s = reps[0]!;
    const out = backend.makeOutput([x.shape[0]! * s, ...x.shape.slice(1)], x.dtype);
    // Views after the allocation: a heap that grows detaches the views taken before.
    const src = heap(backend, x);
    const dst = heap(backend, out);
    for (let i = 0; i < s; i++) dst.set(src, i * src.length);
    return out;
  };
}
