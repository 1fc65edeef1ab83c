import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { relErr } from '../../../../test/helpers/relErr';
import { describeEachSimdBuild } from '../../../../test/helpers/simdBuilds';
import { conv2DBackpropFilterSimd, registerWasmTrainingKernels } from '../wasmKernels';
import { SIMD_FMA_WASM, SIMD_WASM, simdKernelStatus } from '../simdModule';
import { findResource } from '../../resourceFile';

/** dW of sum(conv(x, w)²) on the cpu backend: an independent reference. */
async function cpuFilterGrad(x: Float32Array, xs: number[], w: Float32Array, ws: number[], s: number, pad: 'same' | 'valid'): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const xt = tf.tensor4d(x, xs as [number, number, number, number]);
  const wt = tf.tensor4d(w, ws as [number, number, number, number]);
  const g = tf.grad((f: tf.Tensor) => tf.conv2d(xt, f as tf.Tensor4D, s, pad).square().sum())(wt);
  const out = (await g.data()) as Float32Array;
  tf.dispose([xt, wt, g]);
  return out;
}

/** The SIMD kernel alone on wasm, for dy = 2·conv(x, w) (the same loss's gradient), or undefined. */
async function simdFilterGrad(x: Float32Array, xs: number[], w: Float32Array, ws: number[], s: number, pad: 'same' | 'valid'): Promise<Float32Array | undefined> {
  await tf.setBackend('wasm');
  const xt = tf.tensor4d(x, xs as [number, number, number, number]);
  const wt = tf.tensor4d(w, ws as [number, number, number, number]);
  const dy = tf.tidy(() => tf.mul(tf.conv2d(xt, wt, s, pad), 2));
  const info = tf.backend_util.computeConv2DInfo(xt.shape, wt.shape, s, 1, pad);
  const dw = conv2DBackpropFilterSimd(tf.backend() as BackendWasm, xt, dy, info);
  const out = dw ? (tf.engine().makeTensorFromTensorInfo(dw).dataSync() as Float32Array).slice() : undefined;
  if (dw) (tf.backend() as BackendWasm).disposeData(dw.dataId);
  tf.dispose([xt, wt, dy]);
  return out;
}

const random = (shape: number[], seed: number): Float32Array => tf.randomNormal(shape, 0, 1, 'float32', seed).dataSync() as Float32Array;

describeEachSimdBuild('SIMD conv filter gradient (simd/convFilterGrad.c)', (build) => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
  });

  it('loads from the committed binary onto the tfjs heap', () => {
    expect(findResource(SIMD_WASM)).not.toBeNull();
    expect(findResource(SIMD_FMA_WASM)).not.toBeNull();
    // Node 20's V8 takes relaxed SIMD once simdModule.ts turns on its flag; Electron's without one.
    expect(simdKernelStatus(tf.backend() as BackendWasm)).toBe(build === 'fma' ? 'on (relaxed SIMD, fused multiply-add)' : 'on (SIMD128; CXR_WASM_FMA=0)');
  });

  const cases: { name: string; x: number[]; w: number[]; s: number; pad: 'same' | 'valid' }[] = [
    { name: 'cxrResNet stage 1 (3×3, 32 → 32)', x: [2, 12, 12, 32], w: [3, 3, 32, 32], s: 1, pad: 'same' },
    { name: 'stride-2 stage entry, even size (padding only after)', x: [2, 10, 10, 16], w: [3, 3, 16, 24], s: 2, pad: 'same' },
    { name: 'stride 2, odd size', x: [3, 9, 11, 8], w: [3, 3, 8, 16], s: 2, pad: 'same' },
    { name: 'valid padding, rectangular', x: [1, 7, 12, 4], w: [3, 3, 4, 8], s: 1, pad: 'valid' },
    { name: '1×1 stride-2 projection', x: [2, 9, 9, 12], w: [1, 1, 12, 16], s: 2, pad: 'same' },
    { name: 'the gray 5×5 stride-2 stem (one channel, 1 × 32 blocks)', x: [2, 20, 20, 1], w: [5, 5, 1, 32], s: 2, pad: 'same' },
    { name: 'three channels to 64 (1 × 32 blocks)', x: [2, 9, 9, 3], w: [3, 3, 3, 64], s: 1, pad: 'same' },
    { name: 'a 1-pixel image (every tap but the centre off the edge)', x: [4, 1, 1, 4], w: [3, 3, 4, 8], s: 1, pad: 'same' },
  ];
  for (const c of cases) {
    it(`matches the cpu backend within 1e-5 (${c.name})`, async () => {
      const x = random(c.x, 1);
      const w = random(c.w, 2);
      const got = await simdFilterGrad(x, c.x, w, c.w, c.s, c.pad);
      expect(got, 'the SIMD kernel took this shape').toBeDefined();
      const ref = await cpuFilterGrad(x, c.x, w, c.w, c.s, c.pad);
      expect(got!.length).toBe(ref.length);
      expect(relErr(got!, ref)).toBeLessThan(1e-5);
    });
  }

  it('declines channel counts it has no block for, so the XNNPACK route runs', async () => {
    // ci % 4 ≠ 0 with co % 32 ≠ 0, and co % 8 ≠ 0.
    for (const [xs, ws] of [[[1, 6, 6, 3], [3, 3, 3, 8]], [[1, 6, 6, 4], [3, 3, 4, 6]]] as const) {
      expect(await simdFilterGrad(random([...xs], 3), [...xs], random([...ws], 4), [...ws], 1, 'same')).toBeUndefined();
    }
  });

  it('is off with CXR_WASM_SIMD=0 (before/after runs in one process)', async () => {
    process.env.CXR_WASM_SIMD = '0';
    try {
      expect(simdKernelStatus(tf.backend() as BackendWasm)).toBe('off (CXR_WASM_SIMD=0)');
      expect(await simdFilterGrad(random([1, 6, 6, 4], 5), [1, 6, 6, 4], random([3, 3, 4, 8], 6), [3, 3, 4, 8], 1, 'same')).toBeUndefined();
    } finally {
      delete process.env.CXR_WASM_SIMD;
    }
  });
});

describe('the committed wasm builds', () => {
  // The binaries are committed so that the app and CI need no compiler; they must be this source's
  // build. Byte equality holds for the same compiler release only, which the binaries name in their
  // "producers" section; another clang is a skip with the reason, not a failure.
  const clang = process.env.CLANG ?? 'clang-16';
  const builtWith = /clang[^0-9]{0,8}(\d+\.\d+\.\d+)/.exec(fs.readFileSync(findResource(SIMD_WASM)!).toString('latin1'))?.[1];
  const local = (() => {
    try {
      execFileSync('sh', ['-c', 'command -v wasm-ld-16 || command -v wasm-ld'], { stdio: 'ignore' });
      return /clang version (\d+\.\d+\.\d+)/.exec(execFileSync(clang, ['--version'], { encoding: 'utf8' }))?.[1];
    } catch {
      return undefined;
    }
  })();
  const sameClang = local !== undefined && local === builtWith;
  if (!sameClang) {
    console.log(
      `simdFilterGrad.test: skipping the rebuild check: ${local ? `${clang} ${local} here, the binaries were built with ${builtWith ?? 'a compiler they do not name'}` : `no ${clang}/wasm-ld here (apt-get install clang-16 lld-16)`}`,
    );
  }
  it.skipIf(!sameClang)('the committed wasm builds are what scripts/build-wasm.sh builds from src/main/tfjs/simd', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-wasm-'));
    const root = path.resolve(import.meta.dirname, '../../../..');
    execFileSync('bash', [path.join(root, 'scripts/build-wasm.sh'), out], { cwd: root, stdio: 'pipe' });
    for (const resource of [SIMD_WASM, SIMD_FMA_WASM]) {
      const built = fs.readFileSync(path.join(out, path.basename(resource)));
      const committed = fs.readFileSync(findResource(resource)!);
      expect(built.equals(committed), `rebuild with scripts/build-wasm.sh and commit resources/${resource}`).toBe(true);
    }
  });
});
