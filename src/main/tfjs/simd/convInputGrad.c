// The input gradient of a strided NHWC convolution (a transposed conv), in wasm SIMD128 on the tfjs
// heap, every product exact (no zero taps):
//   dx[n][h][w][c] = sum over i, j, o with h = ho*s + i - pt, w = wo*s + j - pl of dy[n][ho][wo][o] * W[i][j][c][o]
// Output pixels of one phase (w mod s) share their taps; four of them (w, w + s, w + 2s, w + 3s)
// read four neighbouring dy pixels, so each block of 4 pixels x 8 input channels stays in
// registers as in directConv.c, a dy pixel off the edge reading zeros. The route it replaces
// (wasmKernels.ts: one polyphase conv with a 2x2 filter on XNNPACK, then depth-to-space) does
// 1.8x the multiply-adds for a 3x3 stride 2. Any O; C % 8 == 0. Freestanding like convFilterGrad.c.
#include <wasm_simd128.h>
#include "block4x8.h"

#define RAW(a, h) (a)

// wp [C/8][kh*kw][O][8] from the HWIO filter w [kh*kw][C][O], then O zeros.
__attribute__((export_name("conv_pack_filter_t")))
void conv_pack_filter_t(const float *w, float *wp, int taps, int C, int O) {
  float *d = wp;
  for (int cb = 0; cb < C; cb += 8)
    for (int k = 0; k < taps; k++)
      for (int o = 0; o < O; o++, d += 8)
        for (int l = 0; l < 8; l++) d[l] = w[((long)k * C + cb + l) * O + o];
  for (int o = 0; o < O; o++) d[o] = 0.f;
}

// dx [N][H][W][C] from dy [N][Ho][Wo][O] and conv_pack_filter_t's wp. 0, or 1 when C % 8 != 0.
__attribute__((export_name("conv2d_input_grad")))
int conv2d_input_grad(const float *dy, const float *wp, float *dx, int N, int H, int W, int C, int Ho, int Wo, int O,
                      int kh, int kw, int s, int pt, int pl) {
  if (C % 8 != 0 || pt < 0 || pl < 0) return 1;
  const float *zeros = wp + (long)kh * kw * C * O;
  for (int n = 0; n < N; n++) {
    for (int h = 0; h < H; h++) {
      float *row = dx + ((long)n * H + h) * W * C;
      for (int cb = 0; cb < C; cb += 8) {
        const float *f = wp + (long)cb * kh * kw * O;
        for (int pw = 0; pw < s && pw < W; pw++) {
          const int count = (W - pw + s - 1) / s;
          for (int k0 = 0; k0 < count; k0 += 4) {
            const int m = count - k0 < 4 ? count - k0 : 4;
            BLOCK_ZERO;
            // Taps with h + pt - i and pw + pl - j multiples of s.
            for (int i = (h + pt) % s; i < kh && i <= h + pt; i += s) {
              const int ho = (h + pt - i) / s;
              if (ho >= Ho) continue;
              const float *dr = dy + ((long)n * Ho + ho) * Wo * O;
              for (int j = (pw + pl) % s; j < kw; j += s) {
                const int wo0 = (pw + pl - j) / s + k0;  // exact: pw + pl - j is a multiple of s
#define AT(k) ((k) < m && wo0 + (k) >= 0 && wo0 + (k) < Wo ? dr + (long)(wo0 + (k)) * O : zeros)
                const float *p0 = AT(0), *p1 = AT(1), *p2 = AT(2), *p3 = AT(3);
#undef AT
                const float *g = f + (long)(i * kw + j) * O * 8;
                for (int o = 0; o < O; o++, g += 8) BLOCK_STEP(p0 + o, p1 + o, p2 + o, p3 + o, g);
              }
            }
            float *out = row + (long)(pw + s * k0) * C + cb;
            BLOCK_STORE(out, (long)s * C, m, RAW);
          }
        }
      }
    }
  }
  return 0;
}
