import fs from 'node:fs';
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { relErr } from '../../../../test/helpers/relErr';
import { describeEachSimdBuild } from '../../../../test/helpers/simdBuilds';
import { registerWasmTrainingKernels } from '../wasmKernels';
import { filterCacheStats, simdConv2D, simdConv2DInputGrad } from '../wasmConv';
import { cxrResNet } from '../../models/architectures/cxrResNet';
import { foldBatchNorm } from '../../models/foldBatchNorm';

type Pad = 'same' | 'valid';
const random = (shape: number[], seed: number): Float32Array => tf.randomNormal(shape, 0, 1, 'float32', seed).dataSync() as Float32Array;

/** relu(conv(x, w) + b) on the cpu backend: an independent reference. */
async function cpuConv(x: Float32Array, xs: number[], w: Float32Array, ws: number[], pad: Pad, b?: Float32Array, relu = false, s = 1, pool = false): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const out = tf.tidy(() => {
    let y: tf.Tensor = tf.conv2d(tf.tensor4d(x, xs as [number, number, number, number]), tf.tensor4d(w, ws as [number, number, number, number]), s, pad);
    if (b) y = y.add(tf.tensor1d(b));
    if (relu) y = y.relu();
    return pool ? tf.maxPool(y as tf.Tensor4D, 2, 2, 'valid') : y;
  });
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return data;
}

/** Our conv kernels alone on wasm (wasmConv.ts; `pool`: with the 2×2 max pool), or undefined where they decline the shape. */
async function simd(x: Float32Array, xs: number[], w: Float32Array, ws: number[], pad: Pad, b?: Float32Array, relu = false, s = 1, pool = false): Promise<Float32Array | undefined> {
  await tf.setBackend('wasm');
  const backend = tf.backend() as BackendWasm;
  const [xt, wt] = [tf.tensor4d(x, xs as [number, number, number, number]), tf.tensor4d(w, ws as [number, number, number, number])];
  const bt = b ? tf.tensor1d(b) : undefined;
  const info = tf.backend_util.computeConv2DInfo(xt.shape, wt.shape, s, 1, pad);
  const y = simdConv2D(backend, xt, wt, bt, info, relu ? 'relu' : 'linear', pool);
  const out = y ? (tf.engine().makeTensorFromTensorInfo(y).dataSync() as Float32Array).slice() : undefined;
  if (y) backend.disposeData(y.dataId);
  tf.dispose([xt, wt, ...(bt ? [bt] : [])]);
  return out;
}

describeEachSimdBuild('forward convs on wasm in our SIMD kernels (simd/winograd.c: F(4×4, 3×3) and strided F(4×4, 2×2); simd/directConv.c)', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
  });

  // Winograd for 3×3 stride 1 (CXR_WASM_CONV=direct: the direct kernel for the same), direct for strided windows.
  const cases: {
    name: string; x: number[]; co: number; pad: Pad; bias?: boolean; relu?: boolean; k?: number; s?: number; pool?: boolean; route?: 'direct' | 'direct-s2' | 'direct-stem'; tol?: number;
  }[] = [
    { name: "cxrResNet stage 1's 32 → 32 at 32 px", x: [2, 32, 32, 32], co: 32, pad: 'same' },
    // Winograd's rounding grows with the channel count (the transforms scale by up to 8 and 1/24):
    // against a float64 sum, 8.4e-6–1.1e-5 for 256 → 256 in either build, the cpu backend 1.3e-6.
    { name: "stage 4's 256 → 256 at 4 px (one tile an image)", x: [3, 4, 4, 256], co: 256, pad: 'same', tol: 2e-5 },
    { name: 'sizes not a multiple of 4 (tiles cut at the edge), rectangular', x: [2, 7, 10, 8], co: 16, pad: 'same' },
    { name: 'valid padding', x: [1, 9, 14, 4], co: 8, pad: 'valid' },
    { name: 'tiles across images and blocks (130 tiles, blocks of 64, a last block of 2)', x: [10, 12, 12, 4], co: 8, pad: 'same' },
    { name: 'with bias and ReLU (the folded model)', x: [2, 8, 8, 64], co: 128, pad: 'same', bias: true, relu: true },
    { name: 'a 1-pixel image', x: [5, 1, 1, 12], co: 24, pad: 'same', bias: true },
    { name: 'phases + F(4×4, 3×3): the gray 5×5 stride-2 stem, bias and ReLU', x: [2, 24, 24, 1], co: 32, pad: 'same', k: 5, s: 2, bias: true, relu: true },
    { name: 'phases + F(4×4, 3×3): 5×5 stride 2, odd size, valid, three channels', x: [3, 15, 13, 3], co: 16, pad: 'valid', k: 5, s: 2 },
    { name: 'phases + F(4×4, 3×3): 6×6 stride 2, same, four channels', x: [2, 14, 11, 4], co: 8, pad: 'same', k: 6, s: 2, bias: true },
    { name: 'direct: the gray 5×5 stride-2 stem (CXR_WASM_CONV=direct-stem)', x: [2, 24, 24, 1], co: 32, pad: 'same', k: 5, s: 2, bias: true, relu: true, route: 'direct-stem' },
    { name: 'with its max pool: the gray stem', x: [2, 24, 24, 1], co: 32, pad: 'same', k: 5, s: 2, bias: true, relu: true, pool: true },
    { name: 'with its max pool: the stem, conv output 6 × 10 (tiles cut at 2 rows and columns)', x: [3, 12, 20, 1], co: 16, pad: 'same', k: 5, s: 2, bias: true, pool: true },
    { name: 'with its max pool: 3×3 stride 1, rectangular, no activation', x: [2, 10, 14, 8], co: 16, pad: 'same', pool: true },
    { name: 'Winograd F(4×4, 2×2): 3×3 stride-2 stage entry, even size (padding only after)', x: [2, 16, 16, 32], co: 64, pad: 'same', s: 2 },
    { name: 'Winograd F(4×4, 2×2): 3×3 stride 2, odd size (padding before), tiles cut at the edge', x: [3, 7, 9, 8], co: 16, pad: 'same', s: 2, bias: true },
    { name: 'Winograd F(4×4, 2×2): 3×3 stride 2, valid, tiles across images and blocks (80 tiles, blocks of 64)', x: [20, 17, 13, 4], co: 8, pad: 'valid', s: 2, relu: true },
    // Against a float64 sum this stage's rounding is about 1e-5 (the F(4×4, 2×2) transforms scale by up to 8).
    { name: "Winograd F(4×4, 2×2): stage 4's entry 128 → 256 at 8 px", x: [2, 8, 8, 128], co: 256, pad: 'same', s: 2, bias: true, tol: 2e-5 },
    { name: 'direct: 3×3 stride-2 stage entry (CXR_WASM_CONV=direct-s2)', x: [2, 16, 16, 32], co: 64, pad: 'same', s: 2, route: 'direct-s2' },
    { name: 'direct: 3×3 stride 2, odd size, 4 px out (no full quad inside; CXR_WASM_CONV=direct-s2)', x: [3, 7, 9, 8], co: 16, pad: 'same', s: 2, bias: true, route: 'direct-s2' },
    { name: "direct: cxrResNet's 1×1 stride-2 projection, folded (bias)", x: [2, 16, 16, 32], co: 64, pad: 'same', k: 1, s: 2, bias: true },
    { name: 'direct: 1×1 stride 2, odd size', x: [3, 7, 9, 8], co: 16, pad: 'same', k: 1, s: 2 },
    { name: 'direct: a gray 3×3 stride 3, valid (the one-channel loop at a stride other than 2)', x: [2, 20, 23, 1], co: 8, pad: 'valid', k: 3, s: 3, bias: true },
    { name: 'direct: 5×5 stride 3, valid, three channels', x: [2, 17, 20, 3], co: 8, pad: 'valid', k: 5, s: 3 },
    { name: 'direct: 3×3 stride 1 (CXR_WASM_CONV=direct), rectangular', x: [2, 9, 13, 12], co: 16, pad: 'same', route: 'direct', relu: true },
  ];
  for (const c of cases) {
    it(`matches the cpu backend within 1e-5 (${c.name})`, async () => {
      const ws = [c.k ?? 3, c.k ?? 3, c.x[3]!, c.co];
      const x = random(c.x, 1);
      const w = random(ws, 2);
      const b = c.bias ? random([c.co], 3) : undefined;
      if (c.route) process.env.CXR_WASM_CONV = c.route;
      let got: Float32Array | undefined;
      try {
        got = await simd(x, c.x, w, ws, c.pad, b, c.relu, c.s, c.pool);
      } finally {
        delete process.env.CXR_WASM_CONV;
      }
      expect(got, 'a SIMD kernel took this shape').toBeDefined();
      const ref = await cpuConv(x, c.x, w, ws, c.pad, b, c.relu, c.s, c.pool);
      expect(got!.length).toBe(ref.length);
      expect(relErr(got!, ref)).toBeLessThan(c.tol ?? 1e-5);
      if (c.relu) expect(Math.min(...got!)).toBe(0);
    });
  }

  it('computes the ELU epilogue to within 3e-7 of Math.expm1 on its own conv, element by element (Winograd and direct)', async () => {
    await tf.setBackend('wasm');
    const xs: [number, number, number, number] = [2, 9, 9, 4];
    const x = tf.tensor4d(random(xs, 14), xs);
    const w = tf.tensor4d(random([3, 3, 4, 16], 15).map((v) => v * 0.15), [3, 3, 4, 16]); // outputs of order 1
    for (const strides of [1, 2]) {
      const conv = (activation: 'linear' | 'elu') => tf.tidy(() => tf.fused.conv2d({ x, filter: w, strides, pad: 'same', activation }).dataSync() as Float32Array);
      const linear = conv('linear');
      const elu = conv('elu');
      let worst = 0;
      for (let i = 0; i < linear.length; i++) worst = Math.max(worst, Math.abs(elu[i]! - (linear[i]! < 0 ? Math.expm1(linear[i]!) : linear[i]!)));
      expect(worst, `stride ${strides}`).toBeLessThan(3e-7);
      expect(linear.filter((v) => v < 0 && v > -0.05).length, 'values near 0 on the negative side').toBeGreaterThan(5);
      expect(linear.filter((v) => v < -1).length, 'values far out on the negative side').toBeGreaterThan(5);
    }
    tf.dispose([x, w]);
  });

  // Strided convs' dx in simd/convInputGrad.c, against the cpu backend's gradient.
  const gradCases: { name: string; x: number[]; w: number[]; s: number; pad: Pad }[] = [
    { name: "cxrResNet's 3×3 stride-2 stage entry, even size", x: [2, 16, 16, 32], w: [3, 3, 32, 64], s: 2, pad: 'same' },
    { name: '3×3 stride 2, odd and rectangular', x: [3, 9, 11, 8], w: [3, 3, 8, 16], s: 2, pad: 'same' },
    { name: '1×1 stride-2 projection (odd rows and columns get nothing)', x: [2, 8, 8, 16], w: [1, 1, 16, 32], s: 2, pad: 'same' },
    { name: '5×5 stride 3, valid (rows past the last window get nothing)', x: [2, 17, 14, 8], w: [5, 5, 8, 6], s: 3, pad: 'valid' },
    { name: 'stage 4 entry, 8 px to 4', x: [2, 8, 8, 128], w: [3, 3, 128, 256], s: 2, pad: 'same' },
  ];
  for (const c of gradCases) {
    it(`computes a strided conv's input gradient within 1e-5 of cpu (${c.name})`, async () => {
      const x = random(c.x, 16);
      const w = random(c.w, 17);
      const grads = async (backend: string, ours: boolean) => {
        await tf.setBackend(backend);
        const xt = tf.tensor4d(x, c.x as [number, number, number, number]);
        const wt = tf.tensor4d(w, c.w as [number, number, number, number]);
        const dy = tf.tidy(() => tf.conv2d(xt, wt, c.s, c.pad).mul(0.5));
        let out: Float32Array;
        if (ours) {
          const info = tf.backend_util.computeConv2DInfo(xt.shape, wt.shape, c.s, 1, c.pad);
          const dx = simdConv2DInputGrad(tf.backend() as BackendWasm, dy, wt, info);
          expect(dx, 'the kernel took this shape').toBeDefined();
          out = (tf.engine().makeTensorFromTensorInfo(dx!).dataSync() as Float32Array).slice();
          (tf.backend() as BackendWasm).disposeData(dx!.dataId);
        } else {
          out = tf.tidy(() => tf.conv2dTranspose(dy as tf.Tensor4D, wt, xt.shape as [number, number, number, number], c.s, c.pad).dataSync() as Float32Array);
        }
        tf.dispose([xt, wt, dy]);
        return out;
      };
      const want = await grads('cpu', false);
      const got = await grads('wasm', true);
      expect(got.length).toBe(want.length);
      expect(relErr(got, want)).toBeLessThan(1e-5);
    });
  }

  it('declines a max pool it cannot join: odd conv outputs, strided 3×3s, the direct kernel', async () => {
    const decline = [
      { xs: [1, 9, 9, 4], ws: [3, 3, 4, 8], s: 1 }, // 9 × 9 out
      { xs: [1, 16, 16, 4], ws: [3, 3, 4, 8], s: 2 },
      { xs: [1, 17, 17, 3], ws: [5, 5, 3, 8], s: 3 },
    ];
    for (const { xs, ws, s } of decline) {
      expect(await simd(random(xs, 4), xs, random(ws, 5), ws, 'same', undefined, false, s, true), JSON.stringify({ xs, ws, s })).toBeUndefined();
    }
  });

  it('declines what XNNPACK runs faster or it has no kernel for', async () => {
    // Stride 1 with channels in not a multiple of 4; out not a multiple of 8; a 1×1 and a 5×5 at stride 1.
    const shapes = [[[1, 6, 6, 3], [3, 3, 3, 8]], [[1, 6, 6, 4], [3, 3, 4, 6]], [[1, 8, 8, 4], [1, 1, 4, 8]], [[1, 8, 8, 4], [5, 5, 4, 8]]] as const;
    for (const [xs, ws] of shapes) {
      expect(await simd(random([...xs], 4), [...xs], random([...ws], 5), [...ws], 'same')).toBeUndefined();
    }
    process.env.CXR_WASM_CONV = 'xnnpack';
    try {
      expect(await simd(random([1, 6, 6, 4], 6), [1, 6, 6, 4], random([3, 3, 4, 8], 7), [3, 3, 4, 8], 'same')).toBeUndefined();
      expect(await simd(random([1, 8, 8, 4], 6), [1, 8, 8, 4], random([3, 3, 4, 8], 7), [3, 3, 4, 8], 'same', undefined, false, 2)).toBeUndefined();
    } finally {
      delete process.env.CXR_WASM_CONV;
    }
  });

  it("serves tf.conv2d, tf.fused.conv2d (ReLU, ELU) and the conv's input gradient on wasm (against cpu)", async () => {
    const xs: [number, number, number, number] = [2, 9, 9, 16];
    const x = random(xs, 8);
    const w = random([3, 3, 16, 32], 9);
    const b = random([32], 10);
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const xt = tf.tensor4d(x, xs);
      const wt = tf.tensor4d(w, [3, 3, 16, 32]);
      const bt = tf.tensor1d(b);
      const fused = tf.fused.conv2d({ x: xt, filter: wt, bias: bt, strides: 1, pad: 'same', activation: 'relu' });
      // The zhong models' ELU, in the kernels' epilogue.
      const elu = tf.fused.conv2d({ x: xt, filter: wt, bias: bt, strides: 1, pad: 'same', activation: 'elu' });
      // The input gradient of a stride-1 3×3 conv is a 3×3 conv by the flipped filter (wasmKernels.ts).
      const dx = tf.grad((v: tf.Tensor) => tf.conv2d(v as tf.Tensor4D, wt, 1, 'same').square().sum())(xt);
      const out = [(await fused.data()) as Float32Array, (await dx.data()) as Float32Array, (await elu.data()) as Float32Array];
      tf.dispose([xt, wt, bt, fused, dx, elu]);
      return out;
    };
    const [cpuFused, cpuDx, cpuElu] = await run('cpu');
    const [wasmFused, wasmDx, wasmElu] = await run('wasm');
    expect(relErr(wasmFused!, cpuFused!)).toBeLessThan(1e-5);
    expect(relErr(wasmElu!, cpuElu!)).toBeLessThan(1e-5);
    expect(Math.min(...wasmElu!), "the negative branch ran").toBeLessThan(-0.5);
    expect(relErr(wasmDx!, cpuDx!)).toBeLessThan(1e-5);
  });

  it("leaves the folded cxrResNet's probabilities as XNNPACK's within 1e-5", async () => {
    await tf.setBackend('wasm');
    const model = cxrResNet(64);
    const { model: folded } = foldBatchNorm(model);
    const images = tf.randomUniform([4, 64, 64, 1], 0, 1, 'float32', 11);
    const predict = (): Float32Array => tf.tidy(() => (folded.predict(images) as tf.Tensor).dataSync() as Float32Array);
    const on = predict();
    process.env.CXR_WASM_CONV = 'xnnpack';
    let off: Float32Array;
    try {
      off = predict();
    } finally {
      delete process.env.CXR_WASM_CONV;
    }
    expect(on.length).toBe(12);
    let worst = 0;
    for (let i = 0; i < on.length; i++) worst = Math.max(worst, Math.abs(on[i]! - off[i]!));
    expect(worst).toBeLessThan(1e-5);
    tf.dispose([images]);
    model.dispose();
    if (folded !== model) folded.dispose();
  });
});

describe('the two builds of the kernels (simdModule.ts)', () => {
  // x64 CPUs with FMA3 fuse relaxed SIMD's multiply-add (V8's vfmadd231ps); without, V8 emits a
  // multiply and an add, the SIMD128 build's code.
  const fma = process.platform === 'linux' && process.arch === 'x64' ? /\bfma\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8')) : undefined;
  if (fma === undefined) console.log('simdConv.test: not checking that the relaxed build fuses: no /proc/cpuinfo on this platform to say whether the CPU has FMA');

  it('round differently where the CPU fuses, and agree within 5e-6', async () => {
    const xs = [2, 8, 8, 32];
    const ws = [3, 3, 32, 32];
    const x = random(xs, 21);
    const w = random(ws, 22);
    const fused = await simd(x, xs, w, ws, 'same');
    process.env.CXR_WASM_FMA = '0';
    let plain: Float32Array | undefined;
    try {
      plain = await simd(x, xs, w, ws, 'same');
    } finally {
      delete process.env.CXR_WASM_FMA;
    }
    let differ = 0;
    for (let i = 0; i < fused!.length; i++) if (fused![i] !== plain![i]) differ++;
    if (fma !== undefined) expect(differ > 0, `${differ} of ${fused!.length} outputs differ; the CPU has ${fma ? '' : 'no '}FMA`).toBe(fma);
    expect(relErr(fused!, plain!)).toBeLessThan(5e-6); // 2.5e-6 measured: rounding, where a wrong operand is O(1)
  });
});

describe('packed filters kept for inference (wasmConv.ts)', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    registerWasmTrainingKernels();
  });

  async function cpuRef(x: tf.Tensor4D, w: Float32Array, ws: number[], s: number): Promise<Float32Array> {
    return cpuConv((await x.data()) as Float32Array, x.shape, w, ws, 'same', undefined, false, s);
  }

  for (const [name, ws, s] of [['Winograd', [3, 3, 16, 16], 1], ['direct', [3, 3, 16, 16], 2]] as const) {
    it(`keeps a filter's ${name} packing from its second use, not after its weights change, and frees it with the filter`, async () => {
      await tf.setBackend('wasm');
      const backend = tf.backend() as BackendWasm;
      const before = filterCacheStats(backend).entries;
      const x = tf.tensor4d(random([2, 8, 8, 16], 31), [2, 8, 8, 16]);
      const w1 = random([...ws], 32);
      const w2 = random([...ws], 33);
      const v = tf.tidy(() => tf.variable(tf.tensor4d(w1, [...ws] as [number, number, number, number]))); // the variable alone holds the data
      const conv = (): Float32Array => tf.tidy(() => tf.conv2d(x, v as tf.Tensor4D, s, 'same').dataSync() as Float32Array);
      const first = conv();
      expect(filterCacheStats(backend).entries, 'kept after one use').toBe(before);
      const second = conv();
      expect(filterCacheStats(backend).entries, 'kept from the second use').toBe(before + 1);
      expect(Array.from(conv())).toEqual(Array.from(second));
      expect(relErr(second, first)).toBe(0);
      tf.tidy(() => v.assign(tf.tensor4d(w2, [...ws] as [number, number, number, number])));
      expect(filterCacheStats(backend).entries, 'freed with the old weights').toBe(before);
      const third = conv();
      await tf.setBackend('cpu');
      const ref2 = await cpuRef(tf.tensor4d(await x.data(), x.shape), w2, [...ws], s);
      await tf.setBackend('wasm');
      expect(relErr(third, ref2)).toBeLessThan(1e-5);
      conv();
      expect(filterCacheStats(backend).entries).toBe(before + 1);
      v.dispose();
      expect(filterCacheStats(backend).entries, 'freed with the variable').toBe(before);
      x.dispose();
    });
  }

  it('keeps nothing past CXR_WASM_FILTER_CACHE_MB (0: off) and still computes the conv', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as BackendWasm;
    const before = filterCacheStats(backend);
    const x = tf.randomNormal([1, 6, 6, 8], 0, 1, 'float32', 41) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 8, 8], 0, 1, 'float32', 42) as tf.Tensor4D;
    process.env.CXR_WASM_FILTER_CACHE_MB = '0';
    try {
      const a = tf.tidy(() => tf.conv2d(x, w, 1, 'same').dataSync() as Float32Array);
      const b = tf.tidy(() => tf.conv2d(x, w, 1, 'same').dataSync() as Float32Array);
      expect(Array.from(b)).toEqual(Array.from(a));
      expect(filterCacheStats(backend)).toEqual(before);
    } finally {
      delete process.env.CXR_WASM_FILTER_CACHE_MB;
    }
    tf.dispose([x, w]);
  });
});
