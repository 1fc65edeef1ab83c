import * as tf from '@tensorflow/tfjs';

/**
 * Makes every synchronous tensor read throw while `f` runs, as on WebGPU in Node (its dataSync
 * needs a browser's OffscreenCanvas; the GPU check found this). Code that must run on a GPU
 * backend reads with `await t.data()`.
 */
export async function withoutSyncReads<T>(f: () => Promise<T>): Promise<T> {
  const proto = tf.Tensor.prototype as unknown as Record<'dataSync' | 'arraySync', unknown>;
  const saved = { dataSync: proto.dataSync, arraySync: proto.arraySync };
  const refuse = (name: string) =>
    function (): never {
      throw new Error(`synchronous ${name}() called: WebGPU in Node cannot read synchronously`);
    };
  proto.dataSync = refuse('dataSync');
  proto.arraySync = refuse('arraySync');
  try {
    return await f();
  } finally {
    Object.assign(proto, saved);
  }
}
