// Max pooling over 2x2 windows at stride 2, forward and backward, NHWC, C % 4 == 0.
//
// MaxPool: XNNPACK's took 6.7 ms for cxrResNet's stem pool at batch 32 (bench/profileStep.ts,
// BENCH_MODE=infer), a tenth of a folded batch; this one pass over the input, about 2 ms.
//
// MaxPoolGrad for 2x2 windows at stride 2 that lie inside the input (every pool of our models),
// NHWC, C % 4 == 0: each output's gradient goes to the first maximum of its window in row-major
// order (strict >, as on tfjs's cpu backend), four channels at a time. It writes all of dx, so the
// caller need not zero it. Memory-bound: about 3 ms for cxrResNet's stem pool at batch 32, against
// 22 ms for the JS loop (wasmMaxPoolGrad.ts).
#include <wasm_simd128.h>

// y [N][Ho][Wo][C]: the windows that lie inside the input (rows or columns past the last are not read).
__attribute__((export_name("max_pool_2x2")))
int max_pool_2x2(const float *x, float *y, int N, int H, int W, int C, int Ho, int Wo) {
  if (C % 4 != 0 || 2 * Ho > H || 2 * Wo > W) return 1;
  const long row = (long)W * C;
  for (int n = 0; n < N; n++) {
    for (int r = 0; r < Ho; r++) {
      const float *a = x + ((long)n * H + 2 * r) * row;
      float *out = y + ((long)n * Ho + r) * Wo * C;
      for (int c = 0; c < Wo; c++, a += 2 * C) {
        for (int k = 0; k < C; k += 4, out += 4) {
          const v128_t top = wasm_f32x4_max(wasm_v128_load(a + k), wasm_v128_load(a + C + k));
          const v128_t bottom = wasm_f32x4_max(wasm_v128_load(a + row + k), wasm_v128_load(a + row + C + k));
          wasm_v128_store(out, wasm_f32x4_max(top, bottom));
        }
      }
    }
  }
  return 0;
}

__attribute__((export_name("max_pool_grad_2x2")))
int max_pool_grad_2x2(const float *x, const float *g, float *dx, int N, int H, int W, int C, int Ho, int Wo) {
  if (C % 4 != 0 || 2 * Ho > H || 2 * Wo > W) return 1;
  if (2 * Ho != H || 2 * Wo != W) {
    // Rows or columns past the last window get no gradient.
    for (long k = 0, n = (long)N * H * W * C; k < n; k++) dx[k] = 0.0f;
  }
  const long row = (long)W * C;
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (int n = 0; n < N; n++) {
    for (int r = 0; r < Ho; r++) {
      for (int c = 0; c < Wo; c++) {
        const long base = (((long)n * H + 2 * r) * W + 2 * c) * C;
        const float *gp = g + (((long)n * Ho + r) * Wo + c) * C;
        for (int ch = 0; ch < C; ch += 4) {
          const long k0 = base + ch, k1 = k0 + C, k2 = k0 + row, k3 = k2 + C;
          const v128_t v0 = wasm_v128_load(x + k0), v1 = wasm_v128_load(x + k1);
          const v128_t v2 = wasm_v128_load(x + k2), v3 = wasm_v128_load(x + k3);
          const v128_t m1 = wasm_f32x4_gt(v1, v0);
          v128_t best = wasm_v128_bitselect(v1, v0, m1);
          const v128_t m2 = wasm_f32x4_gt(v2, best);
          best = wasm_v128_bitselect(v2, best, m2);
          const v128_t m3 = wasm_f32x4_gt(v3, best);
          // The winner: 3 if m3, else 2 if m2, else 1 if m1, else 0.
          const v128_t w2 = wasm_v128_andnot(m2, m3);
          const v128_t w1 = wasm_v128_andnot(wasm_v128_andnot(m1, m2), m3);
          const v128_t w0 = wasm_v128_not(wasm_v128_or(wasm_v128_or(m1, m2), m3));
          const v128_t gv = wasm_v128_load(gp + ch);
          wasm_v128_store(dx + k0, wasm_v128_bitselect(gv, zero, w0));
          wasm_v128_store(dx + k1, wasm_v128_bitselect(gv, zero, w1));
          wasm_v128_store(dx + k2, wasm_v128_bitselect(gv, zero, w2));
          wasm_v128_store(dx + k3, wasm_v128_bitselect(gv, zero, m3));
        }
      }
    }
  }
  return 0;
}
