import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { DeviceAdam, createAdam } from '../deviceAdam';
import { LeanAdam } from '../leanAdam';
import { withoutSyncReads } from '../../../../test/helpers/forbidSyncReads';

type Adam = LeanAdam | DeviceAdam;

/** A tiny least-squares problem; returns the weights after `steps` steps of `adam`. */
function run(adam: Adam, steps: number, w0: Float32Array, after?: (step: number) => void): Float32Array {
  const w = tf.variable(tf.tensor2d(w0, [4, 3]), true, `w${Math.random()}`);
  const x = tf.tensor2d(Array.from({ length: 8 * 4 }, (_, i) => Math.sin(i)), [8, 4]);
  const y = tf.tensor2d(Array.from({ length: 8 * 3 }, (_, i) => Math.cos(i)), [8, 3]);
  for (let s = 0; s < steps; s++) {
    adam.minimize(() => tf.mean(tf.square(tf.sub(tf.matMul(x, w), y))) as tf.Scalar, false, [w]);
    after?.(s);
  }
  const out = w.dataSync() as Float32Array;
  tf.dispose([w, x, y]);
  return out;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
}

describe('DeviceAdam', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  const w0 = Float32Array.from({ length: 12 }, (_, i) => (i - 6) / 10);

  it('takes the same steps as LeanAdam (and moves the weights)', () => {
    const lean = run(new LeanAdam(0.05), 6, w0);
    const device = run(new DeviceAdam(0.05), 6, w0);
    expect(maxDiff(lean, w0)).toBeGreaterThan(0.1);
    expect(maxDiff(device, lean)).toBeLessThan(1e-5);
  });

  it('resumes from a LeanAdam checkpoint on the same trajectory', async () => {
    const straight = run(new DeviceAdam(0.05), 6, w0);
    // Three steps with LeanAdam, then its state and weights continue under DeviceAdam.
    const first = new LeanAdam(0.05);
    const mid = run(first, 3, w0);
    const st = first.state();
    const second = new DeviceAdam(0.05);
    expect((await second.state()).step).toBe(0);
    const w = tf.variable(tf.tensor2d(mid, [4, 3]), true, 'resume-w');
    const renamed = { step: st.step, m: { 'resume-w': Object.values(st.m)[0]! }, v: { 'resume-w': Object.values(st.v)[0]! } };
    second.restore(renamed);
    expect((await withoutSyncReads(() => second.state())).step).toBe(3);
    const x = tf.tensor2d(Array.from({ length: 8 * 4 }, (_, i) => Math.sin(i)), [8, 4]);
    const y = tf.tensor2d(Array.from({ length: 8 * 3 }, (_, i) => Math.cos(i)), [8, 3]);
    for (let s = 0; s < 3; s++) second.minimize(() => tf.mean(tf.square(tf.sub(tf.matMul(x, w), y))) as tf.Scalar, false, [w]);
    expect(maxDiff(w.dataSync() as Float32Array, straight)).toBeLessThan(1e-5);
    tf.dispose([w, x, y]);
    second.dispose();
  });

  it('keeps its moments on the backend: no tensors leak per step', () => {
    const adam = new DeviceAdam(0.01);
    let after1 = 0;
    run(adam, 5, w0, (s) => {
      if (s === 0) after1 = tf.memory().numTensors;
      else expect(tf.memory().numTensors).toBe(after1);
    });
    adam.dispose();
  });

  it('is chosen for GPU backends, LeanAdam for wasm and cpu', () => {
    expect(createAdam('wasm', 1e-3)).toBeInstanceOf(LeanAdam);
    expect(createAdam('cpu', 1e-3)).toBeInstanceOf(LeanAdam);
    expect(createAdam('webgpu', 1e-3)).toBeInstanceOf(DeviceAdam);
    expect(createAdam('tfjs-node-gpu', 1e-3)).toBeInstanceOf(DeviceAdam);
  });
});
