/**
 * Two builds of our wasm kernels (src/main/tfjs/simd, scripts/build-wasm.sh) side by side in one
 * process, each on its own memory, calls alternating, so that both see the same background load:
 * cxrResNet's conv layers at batch 32 (synthetic data), per layer the min and median ms of each
 * build and their largest difference relative to the largest value. For a kernel change whose
 * before and after are two binaries (no environment switch between them): build the old source with
 * `scripts/build-wasm.sh /tmp/before` from a checkout of it.
 * Run: npx tsx bench/simdBuildsAB.ts /tmp/before/cxr-simd.wasm resources/wasm/cxr-simd.wasm   (BENCH_ROUNDS=20)
 * (a relaxed-SIMD build, cxr-simd-fma.wasm, needs `node --experimental-wasm-relaxed-simd` on Node 20:
 * NODE_OPTIONS=--experimental-wasm-relaxed-simd). Prints one JSON object.
 */
import fs from 'node:fs';

const [fileA, fileB] = process.argv.slice(2);
if (!fileA || !fileB) throw new Error('bench/simdBuildsAB.ts: give the two .wasm files (before, after)');
const rounds = Number(process.env.BENCH_ROUNDS ?? 20);
const N = 32;

type Exports = Record<string, (...a: number[]) => number>;
// No WebAssembly declarations in this project's lib (see simdModule.ts): the members used, typed here.
const Wasm = (globalThis as unknown as {
  WebAssembly: {
    Memory: new (d: { initial: number }) => { buffer: ArrayBuffer };
    instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: unknown } }>;
  };
}).WebAssembly;
interface Layer {
  run: () => void;
  y: number;
  n: number;
}

async function load(file: string): Promise<{ f32: Float32Array; layers: Map<string, Layer> }> {
  const memory = new Wasm.Memory({ initial: 16384 }); // 1 GiB
  const { instance } = await Wasm.instantiate(fs.readFileSync(file), { env: { memory } });
  const e = instance.exports as unknown as Exports;
  const f32 = new Float32Array(memory.buffer);
  let top = 1 << 20;
  const alloc = (floats: number): number => {
    const p = top;
    top += Math.ceil((floats * 4) / 64) * 64 + 64;
    return p;
  };
  const fill = (p: number, n: number, seed: number): number => {
    let s = seed;
    for (let i = 0; i < n; i++) f32[p / 4 + i] = (s = (s * 16807) % 2147483647) / 2147483647 - 0.4;
    return p;
  };
  const layers = new Map<string, Layer>();
  {
    const [H, O, Ho] = [128, 32, 64];
    const x = fill(alloc(N * H * H), N * H * H, 1);
    const w = fill(alloc(25 * O), 25 * O, 2);
    const wp = alloc(25 * O + 64);
    e.conv_pack_filter!(w, wp, 25, 1, O);
    const y = alloc(N * Ho * Ho * O);
    layers.set('5×5 s2 1→32 at 128 px (direct)', { run: () => void e.conv2d_direct!(x, wp, 0, y, N, H, H, 1, Ho, Ho, O, 5, 5, 2, 1, 1, 1), y, n: N * Ho * Ho * O });
  }
  const convs: [number, number, number, 1 | 2][] = [[32, 32, 32, 1], [16, 64, 64, 1], [8, 128, 128, 1], [4, 256, 256, 1], [32, 32, 64, 2], [16, 64, 128, 2], [8, 128, 256, 2]];
  for (const [H, C, O, s] of convs) {
    const Ho = H / s;
    const x = fill(alloc(N * H * H * C), N * H * H * C, 3);
    const g = fill(alloc(9 * C * O), 9 * C * O, 4);
    const y = alloc(N * Ho * Ho * O);
    const [size, pack, scratch, conv] = s === 1
      ? [e.winograd_filter_size!, e.winograd_filter!, e.winograd_scratch!, e.conv3x3_winograd!]
      : [e.winograd_s2_filter_size!, e.winograd_s2_filter!, e.winograd_s2_scratch!, e.conv3x3s2_winograd!];
    const U = alloc(size(C, O));
    pack(g, U, C, O);
    const sc = alloc(scratch(C, O));
    const pad = s === 1 ? 1 : 0;
    layers.set(`3×3 s${s} ${C}→${O} at ${H} px (Winograd)`, { run: () => void conv(x, U, 0, y, sc, N, H, H, C, O, Ho, Ho, pad, pad, 1), y, n: N * Ho * Ho * O });
  }
  return { f32, layers };
}

const [A, B] = [await load(fileA), await load(fileB)];
const r2 = (v: number): number => Math.round(v * 100) / 100;
const out: Record<string, unknown> = {};
for (const [name, a] of A.layers) {
  const b = B.layers.get(name)!;
  const ta: number[] = [];
  const tb: number[] = [];
  a.run();
  b.run();
  for (let r = 0; r < rounds; r++) {
    for (const [layer, times] of [[a, ta], [b, tb]] as const) {
      const t = performance.now();
      layer.run();
      times.push(performance.now() - t);
    }
  }
  let worst = 0;
  let big = 0;
  for (let i = 0; i < a.n; i++) {
    const va = A.f32[a.y / 4 + i]!;
    worst = Math.max(worst, Math.abs(va - B.f32[b.y / 4 + i]!));
    big = Math.max(big, Math.abs(va));
  }
  const median = (t: number[]): number => r2([...t].sort((p, q) => p - q)[t.length >> 1]!);
  out[name] = { beforeMinMs: r2(Math.min(...ta)), afterMinMs: r2(Math.min(...tb)), beforeMedianMs: median(ta), afterMedianMs: median(tb), relDiff: Number((worst / big).toExponential(2)) };
}
console.log(JSON.stringify({ before: fileA, after: fileB, batch: N, rounds, layers: out }));
