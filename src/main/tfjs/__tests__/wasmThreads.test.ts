import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend';
import { setThreadedWasmBackend } from '../wasmThreads';
import { relErr } from '../../../../test/helpers/relErr';

describe('the threaded wasm binary in Node (CXR_WASM_THREADS)', () => {
  it('rejects a thread count it cannot give, naming the variable', async () => {
    await expect(setThreadedWasmBackend(9)).rejects.toThrow(/CXR_WASM_THREADS must be an integer from 2 to 8/);
    await expect(setThreadedWasmBackend(1.5)).rejects.toThrow(/CXR_WASM_THREADS/);
  });

  it('starts two threads and computes what the cpu backend computes', async () => {
    process.env.CXR_WASM_THREADS = '2';
    process.env.CXR_BACKEND = 'wasm';
    const report = await initBackend();
    expect(report.name).toBe('wasm');
    expect(report.threads).toBe(2);
    expect(report.threadsNote).toBeUndefined();
    const run = () =>
      tf.tidy(() => {
        const x = tf.randomUniform([4, 16, 16, 8], 0, 1, 'float32', 1) as tf.Tensor4D;
        const w = tf.randomNormal([3, 3, 8, 16], 0, 1, 'float32', 2) as tf.Tensor4D;
        return tf.conv2d(x, w, 1, 'same').dataSync() as Float32Array;
      });
    const got = run();
    await tf.setBackend('cpu');
    const ref = run();
    expect(relErr(got, ref)).toBeLessThan(1e-5);
  }, 60_000);
});
