// A 3x3 stride-1 NHWC convolution by Winograd's minimal filtering F(4x4, 3x3) (Lavin & Gray 2016,
// arXiv:1509.09308), in wasm SIMD128 on the tfjs wasm backend's heap:
//   y[n][ho][wo][o] = act(bias[o] + sum over i, j, c of x[n][ho + i - pt][wo + j - pl][c] * g[i][j][c][o])
// Each 4x4 block of outputs is A^T [ (G g G^T) . (B^T d B) ] A over its 6x6 input tile d: 36
// multiplies per tile and channel pair where the direct conv takes 144. The products, summed over
// c, are 36 independent GEMMs [tiles x C] x [C x O]; the transforms are adds and a few scalings.
// Why: XNNPACK's direct conv is about 90 % of cxrResNet's inference on wasm once batch norm is
// folded (models/foldBatchNorm.ts), and 3x3 stride-1 convs are 70 % of its multiply-adds.
// Rounding: the transforms scale by up to 8 and 1/24; relative error against the direct sum is
// about 1e-6 for unit-scale data (the tests bound it).
//
// Freestanding like convFilterGrad.c: no linear-memory stack (all locals are scalars or v128), the
// caller passes a scratch block on the heap.
#include <wasm_simd128.h>
#include "block4x8.h"
#include "epilogue.h"

#define RAW(a, h) (a)

#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub
#define MUL wasm_f32x4_mul
#define K(v) wasm_f32x4_splat(v)

// o = B^T d, along one axis of a 6x6 tile (the input transform).
#define BT(d0, d1, d2, d3, d4, d5, o0, o1, o2, o3, o4, o5)       \
  do {                                                          \
    const v128_t a_ = SUB(d4, MUL(K(4.f), d2));                  \
    const v128_t b_ = SUB(d3, MUL(K(4.f), d1));                  \
    const v128_t c_ = SUB(d4, d2);                               \
    const v128_t e_ = MUL(K(2.f), SUB(d3, d1));                  \
    o0 = ADD(SUB(MUL(K(4.f), d0), MUL(K(5.f), d2)), d4);         \
    o1 = ADD(a_, b_);                                            \
    o2 = SUB(a_, b_);                                            \
    o3 = ADD(c_, e_);                                            \
    o4 = SUB(c_, e_);                                            \
    o5 = ADD(SUB(MUL(K(4.f), d1), MUL(K(5.f), d3)), d5);         \
  } while (0)

// u = G g, along one axis of the 3x3 filter (the filter transform).
#define GT(g0, g1, g2, u0, u1, u2, u3, u4, u5)                      \
  do {                                                             \
    const v128_t s_ = ADD(g0, g2);                                  \
    const v128_t t_ = ADD(MUL(K(1.f / 24), g0), MUL(K(1.f / 6), g2)); \
    const v128_t m_ = MUL(K(1.f / 12), g1);                         \
    u0 = MUL(K(0.25f), g0);                                         \
    u1 = MUL(K(-1.f / 6), ADD(s_, g1));                             \
    u2 = MUL(K(-1.f / 6), SUB(s_, g1));                             \
    u3 = ADD(t_, m_);                                               \
    u4 = SUB(t_, m_);                                               \
    u5 = g2;                                                        \
  } while (0)

// y = A^T m, along one axis of a 6x6 product tile (the output transform).
#define AT(m0, m1, m2, m3, m4, m5, y0, y1, y2, y3)  \
  do {                                             \
    const v128_t p1_ = ADD(m1, m2), d1_ = SUB(m1, m2); \
    const v128_t p2_ = ADD(m3, m4), d2_ = SUB(m3, m4); \
    y0 = ADD(ADD(m0, p1_), p2_);                    \
    y1 = ADD(d1_, MUL(K(2.f), d2_));                \
    y2 = ADD(p1_, MUL(K(4.f), p2_));                \
    y3 = ADD(ADD(d1_, MUL(K(8.f), d2_)), m5);       \
  } while (0)

typedef struct {
  int H, W, C, O, Ho, Wo, pt, pl, tilesH, tilesW;
} Geo;

// Floats between the starts of two positions' planes in U, V and M: a plane's size plus one cache
// line, so that the 36 vectors a tile writes or reads (one a plane) do not fall in one L1 set, as
// they do when the planes are a multiple of 4 kB apart (the input transform ran 3x slower).
#define PLANE(n) ((long)(n) + 16)

// Tiles per block: the block's transformed inputs V [36][T][C] and products M [36][T][O] stay in
// L2 while the 36 GEMMs pass over them; wider layers take fewer.
static int tile_block(int C, int O) { return (C > O ? C : O) <= 64 ? 64 : 32; }

// Floats of U winograd_filter writes for C inputs and O outputs.
__attribute__((export_name("winograd_filter_size")))
int winograd_filter_size(int C, int O) { return 36 * PLANE(C * O); }

// U [36][O/8][C][8] = G g G^T for every (c, o) of the HWIO filter g [3][3][C][O]: per position,
// each 8-output strip of U is contiguous over c, as the GEMM reads it (and as this loop writes it).
__attribute__((export_name("winograd_filter")))
int winograd_filter(const float *g, float *U, int C, int O) {
  if (C % 4 != 0 || O % 8 != 0) return 1;
  const long plane = PLANE(C * O);
#define G_AT(i, j) wasm_v128_load(g + ((long)((i) * 3 + (j)) * C + c) * O + o)
  for (int o = 0; o < O; o += 4) {
    for (int c = 0; c < C; c++) {
      // Along j for each filter row i, then along i for each of the six columns b.
      v128_t r00, r01, r02, r03, r04, r05, r10, r11, r12, r13, r14, r15, r20, r21, r22, r23, r24, r25;
      GT(G_AT(0, 0), G_AT(0, 1), G_AT(0, 2), r00, r01, r02, r03, r04, r05);
      GT(G_AT(1, 0), G_AT(1, 1), G_AT(1, 2), r10, r11, r12, r13, r14, r15);
      GT(G_AT(2, 0), G_AT(2, 1), G_AT(2, 2), r20, r21, r22, r23, r24, r25);
      float *u = U + (long)(o / 8) * C * 8 + (long)c * 8 + (o % 8);
#define U_COL(b, x0, x1, x2)                                                            \
  do {                                                                                  \
    v128_t u0, u1, u2, u3, u4, u5;                                                      \
    GT(x0, x1, x2, u0, u1, u2, u3, u4, u5);                                             \
    wasm_v128_store(u + (0 * 6 + (b)) * plane, u0);                                     \
    wasm_v128_store(u + (1 * 6 + (b)) * plane, u1);                                     \
    wasm_v128_store(u + (2 * 6 + (b)) * plane, u2);                                     \
    wasm_v128_store(u + (3 * 6 + (b)) * plane, u3);                                     \
    wasm_v128_store(u + (4 * 6 + (b)) * plane, u4);                                     \
    wasm_v128_store(u + (5 * 6 + (b)) * plane, u5);                                     \
  } while (0)
      U_COL(0, r00, r10, r20); U_COL(1, r01, r11, r21); U_COL(2, r02, r12, r22);
      U_COL(3, r03, r13, r23); U_COL(4, r04, r14, r24); U_COL(5, r05, r15, r25);
#undef U_COL
    }
  }
#undef G_AT
  return 0;
}

// V [36][T][C] = B^T d B for tiles [t0, t0 + T) (zeros past the last); tmp holds 36 x 4 floats.
static void input_transform(const float *x, float *V, float *tmp, const Geo *q, int n0tile, int T, int total) {
  const int C = q->C, W = q->W;
  const v128_t z = wasm_f32x4_splat(0.f);
  for (int t = 0; t < T; t++) {
    const int tile = n0tile + t;
    if (tile >= total) {
      for (int p = 0; p < 36; p++) for (int c = 0; c < C; c += 4) wasm_v128_store(V + p * PLANE(T * C) + (long)t * C + c, z);
      continue;
    }
    const int per = q->tilesH * q->tilesW, n = tile / per, r = tile - n * per;
    const int h0 = (r / q->tilesW) * 4 - q->pt, w0 = (r % q->tilesW) * 4 - q->pl;
    for (int c = 0; c < C; c += 4) {
      for (int i = 0; i < 6; i++) {
        const int h = h0 + i;
        v128_t d0 = z, d1 = z, d2 = z, d3 = z, d4 = z, d5 = z;
        if (h >= 0 && h < q->H) {
          const float *row = x + ((long)n * q->H + h) * W * C + c;
#define LD(d, k) if (w0 + (k) >= 0 && w0 + (k) < W) d = wasm_v128_load(row + (long)(w0 + (k)) * C)
          LD(d0, 0); LD(d1, 1); LD(d2, 2); LD(d3, 3); LD(d4, 4); LD(d5, 5);
#undef LD
        }
        v128_t o0, o1, o2, o3, o4, o5;
        BT(d0, d1, d2, d3, d4, d5, o0, o1, o2, o3, o4, o5);
        float *m = tmp + i * 24;
        wasm_v128_store(m, o0); wasm_v128_store(m + 4, o1); wasm_v128_store(m + 8, o2);
        wasm_v128_store(m + 12, o3); wasm_v128_store(m + 16, o4); wasm_v128_store(m + 20, o5);
      }
      for (int k = 0; k < 6; k++) {
#define TM(i) wasm_v128_load(tmp + (i) * 24 + k * 4)
        v128_t o0, o1, o2, o3, o4, o5;
        BT(TM(0), TM(1), TM(2), TM(3), TM(4), TM(5), o0, o1, o2, o3, o4, o5);
#undef TM
        float *v = V + k * PLANE(T * C) + (long)t * C + c;
        const long step = 6 * PLANE(T * C);  // from row l to row l + 1 of the 6x6 tile
        wasm_v128_store(v, o0); wasm_v128_store(v + step, o1); wasm_v128_store(v + 2 * step, o2);
        wasm_v128_store(v + 3 * step, o3); wasm_v128_store(v + 4 * step, o4); wasm_v128_store(v + 5 * step, o5);
      }
    }
  }
}

// M [P][T][O] = V [P][T][C] x U [P][O/8][C][8], position by position (T % 4 == 0; P = 36 here, 25
// for the strided F(4x4, 2x2) below). Each 4-tile x 8-output block of M stays in registers while c
// runs; the 8-wide strip of U (C x 32 bytes) is reused by every tile group.
static void gemm(const float *V, const float *U, float *M, int P, int T, int C, int O) {
  for (int p = 0; p < P; p++) {
    const float *Vp = V + p * PLANE(T * C);
    const float *Up = U + p * PLANE(C * O);
    float *Mp = M + p * PLANE(T * O);
    for (int ob = 0; ob < O; ob += 8) {
      const float *Ub = Up + (long)ob * C;
      for (int t = 0; t < T; t += 4) {
        const float *v0 = Vp + (long)t * C, *v1 = v0 + C, *v2 = v1 + C, *v3 = v2 + C;
        BLOCK_ZERO;
        for (int c = 0; c < C; c++) BLOCK_STEP(v0 + c, v1 + c, v2 + c, v3 + c, Ub + c * 8);
        BLOCK_STORE(Mp + (long)t * O + ob, O, 4, RAW);
      }
    }
  }
}

// y = act(A^T M A + bias) for the block's tiles, cut at the image's edge; tmp holds 24 x 4 floats.
static void output_transform(const float *M, const float *bias, float *y, float *tmp, const Geo *q, int t0, int T, int total, int flags) {
  const int O = q->O;
  const v128_t z = wasm_f32x4_splat(0.f);
  const long plane = PLANE(T * O);  // from one position of M to the next
  for (int t = 0; t < T && t0 + t < total; t++) {
    const int tile = t0 + t, per = q->tilesH * q->tilesW, n = tile / per, r = tile - n * per;
    const int ho0 = (r / q->tilesW) * 4, wo0 = (r % q->tilesW) * 4;
    for (int o = 0; o < O; o += 4) {
      const v128_t b = flags & 2 ? wasm_v128_load(bias + o) : z;
      const float *m = M + (long)t * O + o;
      for (int a = 0; a < 6; a++) {
#define MP(k) wasm_v128_load(m + (long)(a * 6 + (k)) * plane)
        v128_t s0, s1, s2, s3;
        AT(MP(0), MP(1), MP(2), MP(3), MP(4), MP(5), s0, s1, s2, s3);
#undef MP
        float *w = tmp + a * 16;
        wasm_v128_store(w, s0); wasm_v128_store(w + 4, s1); wasm_v128_store(w + 8, s2); wasm_v128_store(w + 12, s3);
      }
      for (int s = 0; s < 4 && wo0 + s < q->Wo; s++) {
#define TW(a) wasm_v128_load(tmp + (a) * 16 + s * 4)
        v128_t y0, y1, y2, y3;
        AT(TW(0), TW(1), TW(2), TW(3), TW(4), TW(5), y0, y1, y2, y3);
#undef TW
        float *out = y + (((long)n * q->Ho + ho0) * q->Wo + wo0 + s) * O + o;
        const long rowStep = (long)q->Wo * O;
#define PUT(k, v) \
  if (ho0 + (k) < q->Ho) wasm_v128_store(out + (k) * rowStep, epilogue(v, b, flags));
        PUT(0, y0) PUT(1, y1) PUT(2, y2) PUT(3, y3)
#undef PUT
      }
    }
  }
}

// Floats of scratch conv3x3_winograd needs for C inputs and O outputs (besides U).
__attribute__((export_name("winograd_scratch")))
int winograd_scratch(int C, int O) {
  const int T = tile_block(C, O);
  return 144 + 36 * (PLANE(T * C) + PLANE(T * O));
}

// y [N][Ho][Wo][O] from x [N][H][W][C] and U (winograd_filter's); flags: 1 ReLU, 2 add bias [O], 4 ELU.
// Returns 0, or 1 when C % 4 or O % 8 is not 0 (y untouched).
__attribute__((export_name("conv3x3_winograd")))
int conv3x3_winograd(const float *x, const float *U, const float *bias, float *y, float *scratch, int N, int H, int W, int C, int O,
                     int Ho, int Wo, int pt, int pl, int flags) {
  if (C % 4 != 0 || O % 8 != 0) return 1;
  const Geo q = {H, W, C, O, Ho, Wo, pt, pl, (Ho + 3) / 4, (Wo + 3) / 4};
  const int total = N * q.tilesH * q.tilesW, T = tile_block(C, O);
  float *tmp = scratch, *V = scratch + 144, *M = V + 36 * PLANE(T * C);
  for (int t0 = 0; t0 < total; t0 += T) {
    const int left = total - t0, Tb = left < T ? (left + 3) / 4 * 4 : T;
    input_transform(x, V, tmp, &q, t0, Tb, total);
    gemm(V, U, M, 36, Tb, C, O);
    output_transform(M, bias, y, tmp, &q, t0, Tb, total, flags);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// 3x3 stride 2 by F(4x4, 2x2) on the input's four phases. With X_ab[r][q] = x[2r + a - pt][2q + b - pl]
// (a, b in {0, 1}), y[ho][wo] = sum over a, b, u, v of X_ab[ho + u][wo + v] * g[2u + a][2v + b]: four
// stride-1 2x2 convs (taps past the 3x3 filter are zeros), summed, i.e. one stride-1 2x2 conv
// over 4C channels. F(4x4, 2x2) takes 25 multiplies per 4x4 output tile and channel pair where a
// direct 2x2 takes 64: 6.25 C per output over the 4C channels, against 9 C for the direct 3x3
// stride 2 (directConv.c), which already runs at about the speed SIMD128 allows.
// Points 0, 1, -1, -2 and infinity, rows scaled so that B^T is integral; error about 1e-6 relative.

// o = B^T d along one axis of a 5x5 tile.
#define BT5(d0, d1, d2, d3, d4, o0, o1, o2, o3, o4)           \
  do {                                                       \
    o0 = SUB(ADD(MUL(K(2.f), SUB(d0, d2)), d1), d3);           \
    o1 = ADD(ADD(MUL(K(2.f), d1), MUL(K(3.f), d2)), d3);       \
    o2 = ADD(SUB(d2, MUL(K(2.f), d1)), d3);                    \
    o3 = SUB(d1, d3);                                          \
    o4 = ADD(SUB(MUL(K(2.f), SUB(d3, d1)), d2), d4);           \
  } while (0)

// u = G g along one axis of a 2-tap filter.
#define GT2(g0, g1, u0, u1, u2, u3, u4)                  \
  do {                                                  \
    u0 = MUL(K(0.5f), g0);                              \
    u1 = MUL(K(1.f / 6), ADD(g0, g1));                   \
    u2 = MUL(K(0.5f), SUB(g0, g1));                      \
    u3 = MUL(K(1.f / 6), SUB(g0, MUL(K(2.f), g1)));       \
    u4 = g1;                                            \
  } while (0)

// y = A^T m along one axis of a 5x5 product tile.
#define AT5(m0, m1, m2, m3, m4, y0, y1, y2, y3)                     \
  do {                                                            \
    const v128_t p_ = ADD(m1, m2), d_ = SUB(m1, m2);                \
    y0 = ADD(ADD(m0, p_), m3);                                     \
    y1 = SUB(d_, MUL(K(2.f), m3));                                 \
    y2 = ADD(p_, MUL(K(4.f), m3));                                 \
    y3 = ADD(SUB(d_, MUL(K(8.f), m3)), m4);                        \
  } while (0)

// Floats of U winograd_s2_filter writes for C inputs and O outputs (4C channels of phases).
__attribute__((export_name("winograd_s2_filter_size")))
int winograd_s2_filter_size(int C, int O) { return 25 * PLANE(4 * C * O); }

// U [25][O/8][4C][8] = G g_ab G^T, channel (2a + b) C + c, from the HWIO filter g [3][3][C][O].
__attribute__((export_name("winograd_s2_filter")))
int winograd_s2_filter(const float *g, float *U, int C, int O) {
  if (C % 4 != 0 || O % 8 != 0) return 1;
  const int K4 = 4 * C;
  const long plane = PLANE(K4 * O);
  const v128_t z = wasm_f32x4_splat(0.f);
#define G_AB(i, j) ((i) < 3 && (j) < 3 ? wasm_v128_load(g + ((long)((i) * 3 + (j)) * C + c) * O + o) : z)
  for (int o = 0; o < O; o += 4) {
    for (int ph = 0; ph < 4; ph++) {
      const int a = ph >> 1, b = ph & 1;
      for (int c = 0; c < C; c++) {
        v128_t r00, r01, r02, r03, r04, r10, r11, r12, r13, r14;
        GT2(G_AB(a, b), G_AB(a, 2 + b), r00, r01, r02, r03, r04);
        GT2(G_AB(2 + a, b), G_AB(2 + a, 2 + b), r10, r11, r12, r13, r14);
        float *u = U + (long)(o / 8) * K4 * 8 + (long)(ph * C + c) * 8 + (o % 8);
#define U_COL(k, x0, x1)                                  \
  do {                                                    \
    v128_t u0, u1, u2, u3, u4;                            \
    GT2(x0, x1, u0, u1, u2, u3, u4);                      \
    wasm_v128_store(u + (0 * 5 + (k)) * plane, u0);       \
    wasm_v128_store(u + (1 * 5 + (k)) * plane, u1);       \
    wasm_v128_store(u + (2 * 5 + (k)) * plane, u2);       \
    wasm_v128_store(u + (3 * 5 + (k)) * plane, u3);       \
    wasm_v128_store(u + (4 * 5 + (k)) * plane, u4);       \
  } while (0)
        U_COL(0, r00, r10); U_COL(1, r01, r11); U_COL(2, r02, r12); U_COL(3, r03, r13); U_COL(4, r04, r14);
#undef U_COL
      }
    }
  }
#undef G_AB
  return 0;
}

// V [25][T][4C] = B^T d_ab B for tiles [t0, t0 + T) (zeros past the last); tmp holds 25 x 4 floats.
static void input_transform_s2(const float *x, float *V, float *tmp, const Geo *q, int t0, int T, int total) {
  const int C = q->C, W = q->W, K4 = 4 * C;
  const long plane = PLANE(T * K4);
  const v128_t z = wasm_f32x4_splat(0.f);
  for (int t = 0; t < T; t++) {
    const int tile = t0 + t;
    if (tile >= total) {
      for (int p = 0; p < 25; p++) for (int k = 0; k < K4; k += 4) wasm_v128_store(V + p * plane + (long)t * K4 + k, z);
      continue;
    }
    const int per = q->tilesH * q->tilesW, n = tile / per, r = tile - n * per;
    const int ho0 = (r / q->tilesW) * 4, wo0 = (r % q->tilesW) * 4;
    for (int ph = 0; ph < 4; ph++) {
      const int h0 = 2 * ho0 + (ph >> 1) - q->pt, w0 = 2 * wo0 + (ph & 1) - q->pl;
      for (int c = 0; c < C; c += 4) {
        for (int i = 0; i < 5; i++) {
          const int h = h0 + 2 * i;
          v128_t d0 = z, d1 = z, d2 = z, d3 = z, d4 = z;
          if (h >= 0 && h < q->H) {
            const float *row = x + ((long)n * q->H + h) * W * C + c;
#define LD(d, k) if (w0 + 2 * (k) >= 0 && w0 + 2 * (k) < W) d = wasm_v128_load(row + (long)(w0 + 2 * (k)) * C)
            LD(d0, 0); LD(d1, 1); LD(d2, 2); LD(d3, 3); LD(d4, 4);
#undef LD
          }
          v128_t o0, o1, o2, o3, o4;
          BT5(d0, d1, d2, d3, d4, o0, o1, o2, o3, o4);
          float *m = tmp + i * 20;
          wasm_v128_store(m, o0); wasm_v128_store(m + 4, o1); wasm_v128_store(m + 8, o2);
          wasm_v128_store(m + 12, o3); wasm_v128_store(m + 16, o4);
        }
        for (int k = 0; k < 5; k++) {
#define TM(i) wasm_v128_load(tmp + (i) * 20 + k * 4)
          v128_t o0, o1, o2, o3, o4;
          BT5(TM(0), TM(1), TM(2), TM(3), TM(4), o0, o1, o2, o3, o4);
#undef TM
          float *v = V + k * plane + (long)t * K4 + ph * C + c;
          const long step = 5 * plane;  // from row l to row l + 1 of the 5x5 tile
          wasm_v128_store(v, o0); wasm_v128_store(v + step, o1); wasm_v128_store(v + 2 * step, o2);
          wasm_v128_store(v + 3 * step, o3); wasm_v128_store(v + 4 * step, o4);
        }
      }
    }
  }
}

// y = act(A^T M A + bias) for the block's tiles, cut at the image's edge; tmp holds 20 x 4 floats.
static void output_transform_s2(const float *M, const float *bias, float *y, float *tmp, const Geo *q, int t0, int T, int total, int flags) {
  const int O = q->O;
  const v128_t z = wasm_f32x4_splat(0.f);
  const long plane = PLANE(T * O);
  for (int t = 0; t < T && t0 + t < total; t++) {
    const int tile = t0 + t, per = q->tilesH * q->tilesW, n = tile / per, r = tile - n * per;
    const int ho0 = (r / q->tilesW) * 4, wo0 = (r % q->tilesW) * 4;
    for (int o = 0; o < O; o += 4) {
      const v128_t b = flags & 2 ? wasm_v128_load(bias + o) : z;
      const float *m = M + (long)t * O + o;
      for (int a = 0; a < 5; a++) {
#define MP(k) wasm_v128_load(m + (long)(a * 5 + (k)) * plane)
        v128_t s0, s1, s2, s3;
        AT5(MP(0), MP(1), MP(2), MP(3), MP(4), s0, s1, s2, s3);
#undef MP
        float *w = tmp + a * 16;
        wasm_v128_store(w, s0); wasm_v128_store(w + 4, s1); wasm_v128_store(w + 8, s2); wasm_v128_store(w + 12, s3);
      }
      for (int s = 0; s < 4 && wo0 + s < q->Wo; s++) {
#define TW(a) wasm_v128_load(tmp + (a) * 16 + s * 4)
        v128_t y0, y1, y2, y3;
        AT5(TW(0), TW(1), TW(2), TW(3), TW(4), y0, y1, y2, y3);
#undef TW
        float *out = y + (((long)n * q->Ho + ho0) * q->Wo + wo0 + s) * O + o;
        const long rowStep = (long)q->Wo * O;
#define PUT(k, v) \
  if (ho0 + (k) < q->Ho) wasm_v128_store(out + (k) * rowStep, epilogue(v, b, flags));
        PUT(0, y0) PUT(1, y1) PUT(2, y2) PUT(3, y3)
#undef PUT
      }
    }
  }
}

// Floats of scratch conv3x3s2_winograd needs for C inputs and O outputs (besides U).
__attribute__((export_name("winograd_s2_scratch")))
int winograd_s2_scratch(int C, int O) {
  const int T = tile_block(4 * C, O);
  return 100 + 25 * (PLANE(T * 4 * C) + PLANE(T * O));
}

// y [N][Ho][Wo][O], a 3x3 stride-2 conv of x [N][H][W][C] from winograd_s2_filter's U; flags as
// conv3x3_winograd's. Returns 0, or 1 when C % 4 or O % 8 is not 0 (y untouched).
__attribute__((export_name("conv3x3s2_winograd")))
int conv3x3s2_winograd(const float *x, const float *U, const float *bias, float *y, float *scratch, int N, int H, int W, int C, int O,
                       int Ho, int Wo, int pt, int pl, int flags) {
  if (C % 4 != 0 || O % 8 != 0) return 1;
  const Geo q = {H, W, C, O, Ho, Wo, pt, pl, (Ho + 3) / 4, (Wo + 3) / 4};
  const int total = N * q.tilesH * q.tilesW, T = tile_block(4 * C, O);
  float *tmp = scratch, *V = scratch + 100, *M = V + 25 * PLANE(T * 4 * C);
  for (int t0 = 0; t0 < total; t0 += T) {
    const int left = total - t0, Tb = left < T ? (left + 3) / 4 * 4 : T;
    input_transform_s2(x, V, tmp, &q, t0, Tb, total);
    gemm(V, U, M, 25, Tb, 4 * C, O);
    output_transform_s2(M, bias, y, tmp, &q, t0, Tb, total, flags);
  }
  return 0;
}

