import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BACKEND_ORDER, initBackend } from '../backend';
import { gpuName, probeWebGpu } from '../webgpuAdapter';

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
    // On wasm the report says whether our SIMD kernels (resources/wasm/cxr-simd.wasm) loaded.
    if (report.name === 'wasm') expect(report.simdKernels).toMatch(/^on \(/);
    if (!probe.ok) {
      // This CPU machine: Dawn loads but finds no adapter, and says so.
      expect(report.refusals.find((r) => r.backend === 'webgpu')?.reason).toMatch(/no adapter|not installed/);
      expect(report.gpu).toBeUndefined();
    } else {
      console.log(`WebGPU adapter found: ${JSON.stringify(probe.adapter)}`);
    }
  });

  it('names the GPU by its device, with vendor and architecture where Dawn gives them', () => {
    // As Dawn reported the H200 on the GPU check (bench/results/h200-webgpu-2026-11-26).
    const h200 = { vendor: 'nvidia', architecture: '', device: 'nvidia-h200', description: 'NVIDIA: 580.159.04 580.159.4.0' };
    expect(gpuName(h200)).toBe('nvidia-h200 (nvidia)');
    expect(gpuName({ vendor: 'intel', architecture: 'gen-12lp', device: '', description: 'Intel(R) Iris(R) Xe Graphics' })).toBe(
      'Intel(R) Iris(R) Xe Graphics (intel, gen-12lp)',
    );
    expect(gpuName({ vendor: 'apple', architecture: '', device: '', description: '' })).toBe('apple');
  });
});
