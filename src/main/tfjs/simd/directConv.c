// A direct NHWC convolution, any filter size and stride, in wasm SIMD128 on the tfjs heap, for the
// convs Winograd (winograd.c) does not take: cxrResNet's 5x5 stride-2 stem on the gray image and
// its 3x3 stride-2 stage entries.
//   y[n][ho][wo][o] = act(bias[o] + sum over i, j, c of x[n][ho*s + i - pt][wo*s + j - pl][c] * w[i][j][c][o])
// Each block of 4 output pixels x 8 output channels stays in registers while the taps and input
// channels run (the filter strip for 8 outputs, repacked contiguous, stays in L1); where windows
// cross the image's edge, the taps outside read zeros in the same block. Any C (the stem has 1);
// O % 8 == 0. Freestanding like convFilterGrad.c.
#include <wasm_simd128.h>
#include "block4x8.h"
#include "epilogue.h"

// The epilogue of a block row's half h (bias b0 or b1).
#define ACT(a, h) epilogue(a, bp ? wasm_v128_load(bp + 4 * (h)) : wasm_f32x4_splat(0.f), q->flags)

typedef struct {
  int H, W, C, Ho, Wo, O, kh, kw, s, pt, pl, flags;
} Shape;

// wp [O/8][kh*kw][C][8] from the HWIO filter w [kh*kw][C][O], then C zeros (the taps outside the
// image read them: quad_edge).
__attribute__((export_name("conv_pack_filter")))
void conv_pack_filter(const float *w, float *wp, int taps, int C, int O) {
  for (long k = (long)taps * C * O, e = k + C; k < e; k++) wp[k] = 0.f;
  for (int ob = 0; ob < O; ob += 8) {
    float *d = wp + (long)ob * taps * C;
    for (int k = 0; k < taps * C; k++, d += 8) {
      const float *src = w + (long)k * O + ob;
      wasm_v128_store(d, wasm_v128_load(src));
      wasm_v128_store(d + 4, wasm_v128_load(src + 4));
    }
  }
}

// Four neighbouring output pixels whose windows lie inside the row.
static void quad(const float *x, const float *f, float *out, const Shape *q, int n, int h0, int i0, int i1, int wo, const float *bp) {
  const int C = q->C, step = q->s * C, w0 = wo * q->s - q->pl;
  BLOCK_ZERO;
  for (int i = i0; i < i1; i++) {
    const float *xp = x + (((long)n * q->H + h0 + i) * q->W + w0) * C, *g = f + ((long)i * q->kw * C) * 8;
    // The taps of one filter row, every column and channel, are contiguous in both x and wp.
    for (int k = 0, m = q->kw * C; k < m; k++, xp++, g += 8) BLOCK_STEP(xp, xp + step, xp + 2 * step, xp + 3 * step, g);
  }
  BLOCK_STORE(out, q->O, 4, ACT);
}

// quad for a one-channel input (the gray stem): one loop over the window's rows i0..i1 and its kw
// columns, so that the block stays in registers from the first tap to the last (the general loop's
// short rows cost V8 a spill of the block a row), at the stride s the caller names as a constant.
static inline __attribute__((always_inline)) void quad_c1(const float *x, const float *f, float *out, const Shape *q, int n, int h0, int i0, int i1,
                                                         int wo, const float *bp, const int s) {
  const int kw = q->kw;
  const float *xp = x + ((long)n * q->H + h0 + i0) * q->W + wo * s - q->pl;
  f += (long)i0 * kw * 8;
  BLOCK_ZERO;
  int j = 0;
#pragma clang loop unroll(disable)
  for (int k = 0, m = (i1 - i0) * kw; k < m; k++, f += 8) {
    BLOCK_STEP(xp, xp + s, xp + 2 * s, xp + 3 * s, f);
    if (++j == kw) j = 0, xp += q->W - kw + 1;
    else xp++;
  }
  BLOCK_STORE(out, q->O, 4, ACT);
}

// The first m (<= 4) of four neighbouring output pixels, windows crossing the row's edge: a tap
// outside the row reads C zeros instead (after the packed filter), so the block keeps quad's
// arithmetic (masking the loads instead needs more registers than SIMD128 has: 2x slower).
static void quad_edge(const float *x, const float *f, const float *zeros, float *out, const Shape *q, int n, int h0, int i0, int i1, int wo, int m, const float *bp) {
  const int C = q->C, W = q->W, s = q->s, w0 = wo * s - q->pl;
  BLOCK_ZERO;
  for (int i = i0; i < i1; i++) {
    const float *xr = x + ((long)n * q->H + h0 + i) * W * C;
    for (int j = 0; j < q->kw; j++) {
#define AT(k) ((k) < m && w0 + j + (k) * s >= 0 && w0 + j + (k) * s < W ? xr + (long)(w0 + j + (k) * s) * C : zeros)
      const float *p0 = AT(0), *p1 = AT(1), *p2 = AT(2), *p3 = AT(3);
#undef AT
      const float *g = f + ((long)(i * q->kw + j) * C) * 8;
      for (int c = 0; c < C; c++, g += 8) BLOCK_STEP(p0 + c, p1 + c, p2 + c, p3 + c, g);
    }
  }
  BLOCK_STORE(out, q->O, m, ACT);
}

// y [N][Ho][Wo][O] from x [N][H][W][C] and conv_pack_filter's wp (and the zeros after it); flags: 1 ReLU, 2 add bias [O], 4 ELU.
// Returns 0, or 1 when O % 8 != 0 (y untouched).
__attribute__((export_name("conv2d_direct")))
int conv2d_direct(const float *x, const float *wp, const float *bias, float *y, int N, int H, int W, int C, int Ho, int Wo, int O,
                  int kh, int kw, int s, int pt, int pl, int flags) {
  if (O % 8 != 0) return 1;
  const Shape q = {H, W, C, Ho, Wo, O, kh, kw, s, pt, pl, flags};
  const float *zeros = wp + (long)kh * kw * C * O;
  for (int n = 0; n < N; n++) {
    for (int ho = 0; ho < Ho; ho++) {
      const int h0 = ho * s - pt, i0 = h0 < 0 ? -h0 : 0, i1 = H - h0 < kh ? H - h0 : kh;
      float *row = y + ((long)n * Ho + ho) * Wo * O;
      for (int ob = 0; ob < O; ob += 8) {
        const float *f = wp + (long)ob * kh * kw * C;
        const float *bp = flags & 2 ? bias + ob : 0;
        for (int wo = 0; wo < Wo; wo += 4) {
          const int m = Wo - wo < 4 ? Wo - wo : 4, w0 = wo * s - pl;
          float *out = row + (long)wo * O + ob;
          const int inside = m == 4 && w0 >= 0 && w0 + 3 * s + kw <= W;
          if (inside && C == 1 && s == 2) quad_c1(x, f, out, &q, n, h0, i0, i1, wo, bp, 2);
          else if (inside && C == 1) quad_c1(x, f, out, &q, n, h0, i0, i1, wo, bp, s);
          else if (inside) quad(x, f, out, &q, n, h0, i0, i1, wo, bp);
          else quad_edge(x, f, zeros, out, &q, n, h0, i0, i1, wo, m, bp);
        }
      }
    }
  }
  return 0;
}
