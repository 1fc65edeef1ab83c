import { afterAll, beforeAll, describe } from 'vitest';

/**
 * Runs a describe block once per build of our wasm SIMD kernels (src/main/tfjs/simdModule.ts):
 * the relaxed-SIMD one, whose multiply-adds are fused, and SIMD128 (CXR_WASM_FMA=0), which engines
 * without relaxed SIMD load. Both must pass every accuracy bound.
 */
export function describeEachSimdBuild(title: string, body: (build: 'fma' | 'simd128') => void): void {
  for (const build of ['fma', 'simd128'] as const) {
    describe(`${title} [${build === 'fma' ? 'relaxed SIMD build, fused multiply-add' : 'SIMD128 build, CXR_WASM_FMA=0'}]`, () => {
      beforeAll(() => {
        if (build === 'simd128') process.env.CXR_WASM_FMA = '0';
        else delete process.env.CXR_WASM_FMA;
      });
      afterAll(() => {
        delete process.env.CXR_WASM_FMA;
      });
      body(build);
    });
  }
}
