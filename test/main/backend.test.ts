import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BACKEND_ORDER, initBackend } from '../../src/main/model/backend';
import { probeWebGpu } from '../../src/main/model/webgpuAdapter';

describe('backend selection', () => {
  it('prefers tfjs-node-gpu, then WebGPU, then tfjs-node, wasm and cpu', () => {
    expect(BACKEND_ORDER).toEqual(['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu']);
  });

  it('falls back cleanly on a machine without a GPU or native tfjs, giving each refusal a reason', async () => {
    const probe = await probeWebGpu();
    const report = await initBackend();
    // The active backend is the one that computed the probe matmul, and tfjs agrees.
    expect(report.probe).toBe(11);
    expect(tf.getBackend()).toBe(report.tfjsName);
    const refused = report.refusals.map((r) => r.backend);
    expect(refused).toEqual(BACKEND_ORDER.slice(0, BACKEND_ORDER.indexOf(report.name)));
    for (const r of report.refusals) expect(r.reason.length).toBeGreaterThan(3);
    if (!probe.ok) {
      // This CPU machine: Dawn loads but finds no adapter, and says so.
      expect(report.refusals.find((r) => r.backend === 'webgpu')?.reason).toMatch(/no adapter|not installed/);
      expect(report.gpu).toBeUndefined();
    } else {
      console.log(`WebGPU adapter found: ${JSON.stringify(probe.adapter)}`);
    }
  });
});
