// The filter gradient of an NHWC convolution, in wasm SIMD128, on the tfjs wasm backend's own heap:
//   dW[i][j][c][o] = sum over n, ho, wo of x[n][ho*s + i - pt][wo*s + j - pl][c] * dy[n][ho][wo][o]
// (HWIO filter, dilation 1). tfjs-backend-wasm has no kernel for it; the XNNPACK routes it can be
// rewritten into (a forward conv with dy as a 32x32 "filter", or patches through BatchMatMul) run at
// 3-9 GMAC/s. Here each 4-input x 8-output channel block of dW stays in registers while a chunk of
// dy rows, and the x rows under them, streams past once per tap: about 15 GMAC/s a core.
//
// Freestanding (no libc), no linear-memory stack, no data segment: the module imports the tfjs
// backend's memory, so pointers are tfjs tensor offsets and nothing is copied. `npm run build:wasm`
// builds resources/wasm/cxr-simd.wasm; a test checks the committed binary is this source's build.
#include <wasm_simd128.h>
#include "madd.h"

typedef struct {
  int H, W, C, Ho, Wo, O, kw, s, pt, pl;
} Shape;

// The range of dy rows r = n*Ho + ho in [r0, r1) that tap (i, j) visits, columns [wo0, wo1).
#define ROWS_FOR_TAP(...)                                                         \
  for (int r = r0; r < r1; r++) {                                                 \
    const int n = r / q->Ho, ho = r - n * q->Ho;                                  \
    const int h = ho * s + i - q->pt;                                             \
    if (h < 0 || h >= q->H) continue;                                             \
    const float *xp = x + (((long)n * q->H + h) * q->W + (wo0 * s + j - q->pl)) * C + c; \
    const float *gp = dy + ((long)r * q->Wo + wo0) * O + o;                       \
    for (int wo = wo0; wo < wo1; wo++, xp += s * C, gp += O) { __VA_ARGS__ }     \
  }

// 4 input channels x 8 output channels of accumulators (C % 4 == 0, O % 8 == 0).
static void block_4x8(const float *x, const float *dy, float *dw, const Shape *q, int i, int j, int r0, int r1, int wo0, int wo1) {
  const int C = q->C, O = q->O, s = q->s;
  for (int c = 0; c < C; c += 4) {
    for (int o = 0; o < O; o += 8) {
      float *d = dw + ((i * q->kw + j) * C + c) * O + o;
      v128_t a00 = wasm_v128_load(d), a01 = wasm_v128_load(d + 4);
      v128_t a10 = wasm_v128_load(d + O), a11 = wasm_v128_load(d + O + 4);
      v128_t a20 = wasm_v128_load(d + 2 * O), a21 = wasm_v128_load(d + 2 * O + 4);
      v128_t a30 = wasm_v128_load(d + 3 * O), a31 = wasm_v128_load(d + 3 * O + 4);
      ROWS_FOR_TAP({
        const v128_t g0 = wasm_v128_load(gp), g1 = wasm_v128_load(gp + 4);
        const v128_t x0 = wasm_f32x4_splat(xp[0]), x1 = wasm_f32x4_splat(xp[1]);
        const v128_t x2 = wasm_f32x4_splat(xp[2]), x3 = wasm_f32x4_splat(xp[3]);
        MAC(a00, x0, g0); MAC(a01, x0, g1);
        MAC(a10, x1, g0); MAC(a11, x1, g1);
        MAC(a20, x2, g0); MAC(a21, x2, g1);
        MAC(a30, x3, g0); MAC(a31, x3, g1);
      })
      wasm_v128_store(d, a00); wasm_v128_store(d + 4, a01);
      wasm_v128_store(d + O, a10); wasm_v128_store(d + O + 4, a11);
      wasm_v128_store(d + 2 * O, a20); wasm_v128_store(d + 2 * O + 4, a21);
      wasm_v128_store(d + 3 * O, a30); wasm_v128_store(d + 3 * O + 4, a31);
    }
  }
}

// One input channel x 32 output channels (any C, O % 32 == 0): the gray stem, C = 1.
static void block_1x32(const float *x, const float *dy, float *dw, const Shape *q, int i, int j, int r0, int r1, int wo0, int wo1) {
  const int C = q->C, O = q->O, s = q->s;
  for (int c = 0; c < C; c++) {
    for (int o = 0; o < O; o += 32) {
      float *d = dw + ((i * q->kw + j) * C + c) * O + o;
      v128_t a0 = wasm_v128_load(d), a1 = wasm_v128_load(d + 4), a2 = wasm_v128_load(d + 8), a3 = wasm_v128_load(d + 12);
      v128_t a4 = wasm_v128_load(d + 16), a5 = wasm_v128_load(d + 20), a6 = wasm_v128_load(d + 24), a7 = wasm_v128_load(d + 28);
      ROWS_FOR_TAP({
        const v128_t xv = wasm_f32x4_splat(xp[0]);
        MAC(a0, xv, wasm_v128_load(gp)); MAC(a1, xv, wasm_v128_load(gp + 4));
        MAC(a2, xv, wasm_v128_load(gp + 8)); MAC(a3, xv, wasm_v128_load(gp + 12));
        MAC(a4, xv, wasm_v128_load(gp + 16)); MAC(a5, xv, wasm_v128_load(gp + 20));
        MAC(a6, xv, wasm_v128_load(gp + 24)); MAC(a7, xv, wasm_v128_load(gp + 28));
      })
      wasm_v128_store(d, a0); wasm_v128_store(d + 4, a1); wasm_v128_store(d + 8, a2); wasm_v128_store(d + 12, a3);
      wasm_v128_store(d + 16, a4); wasm_v128_store(d + 20, a5); wasm_v128_store(d + 24, a6); wasm_v128_store(d + 28, a7);
    }
  }
}

// dw must hold kh*kw*C*O floats (wasm SIMD loads need no alignment). Returns 0, or 1 when
// the channel counts have no kernel here (the caller takes another route; dw is untouched).
__attribute__((export_name("conv2d_filter_grad")))
int conv2d_filter_grad(const float *x, const float *dy, float *dw, int N, int H, int W, int C, int Ho, int Wo, int O,
                       int kh, int kw, int s, int pt, int pl) {
  const Shape q = {H, W, C, Ho, Wo, O, kw, s, pt, pl};
  const int wide = C % 4 == 0 && O % 8 == 0;
  if (!wide && O % 32 != 0) return 1;
  for (long k = 0, n = (long)kh * kw * C * O; k < n; k++) dw[k] = 0.0f;
  // Chunks of about 64 kB of dy rows (across images where they are small), so that they and the x
  // rows under them stay in L2 while every tap and channel block passes over them.
  int rows = (64 * 1024) / (Wo * O * 4);
  if (rows < 1) rows = 1;
  const int total = N * Ho;
  for (int r0 = 0; r0 < total; r0 += rows) {
    const int r1 = r0 + rows < total ? r0 + rows : total;
    for (int i = 0; i < kh; i++) {
      for (int j = 0; j < kw; j++) {
        // Output columns whose input column wo*s + j - pl lies inside the image.
        const int lo = q.pl - j, hi = W - 1 + q.pl - j;
        if (hi < 0) continue;
        const int wo0 = lo > 0 ? (lo + s - 1) / s : 0;
        const int wo1 = hi / s + 1 < Wo ? hi / s + 1 : Wo;
        if (wo0 >= wo1) continue;
        if (wide) block_4x8(x, dy, dw, &q, i, j, r0, r1, wo0, wo1);
        else block_1x32(x, dy, dw, &q, i, j, r0, r1, wo0, wo1);
      }
    }
  }
  return 0;
}
