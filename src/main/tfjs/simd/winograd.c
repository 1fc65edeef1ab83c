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

// M [P][T][O] = V [P][T][C] x U [P][O/8][C][8], position by position (T % 4 == 0; P = 36 here; the
// strided conv below runs it per phase, 25, 5, 5 and 1). Each 4-tile x 8-output block of M stays in
// registers while c runs; the 8-wide strip of U (C x 32 bytes) is reused by every tile group.
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
      if (flags & 8) {
        // The 2x2 max pool of the tile's outputs: columns s and s + 1, rows 0-1 and 2-3.
        const int Hp = q->Ho / 2, Wp = q->Wo / 2;
        for (int s = 0; s < 4 && wo0 + s < q->Wo; s += 2) {
#define TW(a, k) wasm_v128_load(tmp + (a) * 16 + (k) * 4)
          v128_t y0, y1, y2, y3, z0, z1, z2, z3;
          AT(TW(0, s), TW(1, s), TW(2, s), TW(3, s), TW(4, s), TW(5, s), y0, y1, y2, y3);
          AT(TW(0, s + 1), TW(1, s + 1), TW(2, s + 1), TW(3, s + 1), TW(4, s + 1), TW(5, s + 1), z0, z1, z2, z3);
#undef TW
          float *out = y + (((long)n * Hp + ho0 / 2) * Wp + (wo0 + s) / 2) * O + o;
          wasm_v128_store(out, epilogue(wasm_f32x4_max(wasm_f32x4_max(y0, y1), wasm_f32x4_max(z0, z1)), b, flags));
          if (ho0 + 2 < q->Ho) wasm_v128_store(out + (long)Wp * O, epilogue(wasm_f32x4_max(wasm_f32x4_max(y2, y3), wasm_f32x4_max(z2, z3)), b, flags));
        }
        continue;
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

// y [N][Ho][Wo][O] from x [N][H][W][C] and U (winograd_filter's); flags: 1 ReLU, 2 add bias [O], 4 ELU,
// 8 the 2x2 stride-2 max pool of the conv's output (y [N][Ho/2][Wo/2][O]; the epilogue is monotonic, so
// it goes after the maximum). Returns 0, or 1 when C % 4 or O % 8 is not 0, or with 8 Ho or Wo is odd
// (y untouched).
__attribute__((export_name("conv3x3_winograd")))
int conv3x3_winograd(const float *x, const float *U, const float *bias, float *y, float *scratch, int N, int H, int W, int C, int O,
                     int Ho, int Wo, int pt, int pl, int flags) {
  if (C % 4 != 0 || O % 8 != 0 || (flags & 8 && (Ho % 2 || Wo % 2))) return 1;
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
// 3x3 stride 2 on the input's four phases. With X_ab[r][q] = x[2r + a - pt][2q + b - pl] (a, b in
// {0, 1}), y[ho][wo] = sum over a, b, u, v of X_ab[ho + u][wo + v] * g[2u + a][2v + b]: four
// stride-1 convs, summed. Phase a = 0 has filter rows 0 and 2 (two taps), a = 1 row 1 alone (one),
// and the same for b along the columns, so each phase takes Winograd's F(4, 2) along its two-tap
// axes and nothing along its one-tap axes:
//   phase 00, 2 x 2 taps: F(4x4, 2x2), 25 positions;
//   phase 01 and 10, 2 x 1 taps: F(4, 2) along the two-tap axis, 5 positions x 4 outputs;
//   phase 11, one tap: the 16 pixels of the tile (a 1x1 conv).
// 81 multiplies per 4x4 output tile and channel pair (5.06 C an output) where the direct 3x3
// stride 2 takes 144 (9 C, directConv.c), and F(4x4, 2x2) on all four phases, padding the one-tap
// axes with zero taps, 100. A phase's positions share its filter along a one-tap axis, so the GEMM
// of phase 01 or 10 is 5 positions of 4T rows (tile, output), and phase 11's one of 16T rows.
//   y = A^T (M00 A + M01) + (M10 A + M11)
// F(4, 2)'s points 0, 1, -1, -2 and infinity, rows scaled so that B^T is integral; error about
// 1e-6 relative.

// o = B^T d along one axis of a 5-point tile.
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

// y = A^T m along one axis of a 5-point product tile.
#define AT5(m0, m1, m2, m3, m4, y0, y1, y2, y3)                     \
  do {                                                            \
    const v128_t p_ = ADD(m1, m2), d_ = SUB(m1, m2);                \
    y0 = ADD(ADD(m0, p_), m3);                                     \
    y1 = SUB(d_, MUL(K(2.f), m3));                                 \
    y2 = ADD(p_, MUL(K(4.f), m3));                                 \
    y3 = ADD(SUB(d_, MUL(K(8.f), m3)), m4);                        \
  } while (0)

// The strided conv's planes, by phase: 25 of phase 00 (position i * 5 + j), 5 of phase 01 (its row
// position), 5 of phase 10 (its column position) and 1 of phase 11. A plane of U holds C x O
// weights; one of V (M) holds T x C (T x O) values for phase 00, 4T x C for 01 and 10, 16T x C for 11.
typedef struct {
  float *p00, *p01, *p10, *p11;
} Phases;

static Phases phases_of(float *base, int T, int K) {
  Phases f;
  f.p00 = base;
  f.p01 = f.p00 + 25 * PLANE(T * K);
  f.p10 = f.p01 + 5 * PLANE(4 * T * K);
  f.p11 = f.p10 + 5 * PLANE(4 * T * K);
  return f;
}
static long phases_size(int T, int K) { return 25 * PLANE(T * K) + 10 * PLANE(4 * T * K) + PLANE(16 * T * K); }

// Floats of U winograd_s2_filter writes for C inputs and O outputs: 36 planes.
__attribute__((export_name("winograd_s2_filter_size")))
int winograd_s2_filter_size(int C, int O) { return 36 * PLANE(C * O); }

// U, 36 planes [O/8][C][8] (phases 00, 01, 10, 11 as above), from the HWIO filter g [3][3][C][O].
__attribute__((export_name("winograd_s2_filter")))
int winograd_s2_filter(const float *g, float *U, int C, int O) {
  if (C % 4 != 0 || O % 8 != 0) return 1;
  const long plane = PLANE(C * O);
#define G_AT(i, j) wasm_v128_load(g + ((long)((i) * 3 + (j)) * C + c) * O + o)
  for (int o = 0; o < O; o += 4) {
    for (int c = 0; c < C; c++) {
      float *u = U + (long)(o / 8) * C * 8 + (long)c * 8 + (o % 8);
#define PUT(k, v) wasm_v128_store(u + (long)(k) * plane, v)
      // Phase 00: rows 0 and 2, columns 0 and 2; along j, then along i.
      v128_t r00, r01, r02, r03, r04, r10, r11, r12, r13, r14;
      GT2(G_AT(0, 0), G_AT(0, 2), r00, r01, r02, r03, r04);
      GT2(G_AT(2, 0), G_AT(2, 2), r10, r11, r12, r13, r14);
#define U_COL(k, x0, x1)                                               \
  do {                                                                 \
    v128_t u0, u1, u2, u3, u4;                                         \
    GT2(x0, x1, u0, u1, u2, u3, u4);                                   \
    PUT(k, u0); PUT(5 + (k), u1); PUT(10 + (k), u2); PUT(15 + (k), u3); PUT(20 + (k), u4); \
  } while (0)
      U_COL(0, r00, r10); U_COL(1, r01, r11); U_COL(2, r02, r12); U_COL(3, r03, r13); U_COL(4, r04, r14);
#undef U_COL
      v128_t u0, u1, u2, u3, u4;
      // Phase 01: rows 0 and 2 of column 1; phase 10: columns 0 and 2 of row 1; phase 11: the centre.
      GT2(G_AT(0, 1), G_AT(2, 1), u0, u1, u2, u3, u4);
      PUT(25, u0); PUT(26, u1); PUT(27, u2); PUT(28, u3); PUT(29, u4);
      GT2(G_AT(1, 0), G_AT(1, 2), u0, u1, u2, u3, u4);
      PUT(30, u0); PUT(31, u1); PUT(32, u2); PUT(33, u3); PUT(34, u4);
      PUT(35, G_AT(1, 1));
#undef PUT
    }
  }
#undef G_AT
  return 0;
}

// V of tiles [t0, t0 + T) (zeros past the last); tmp holds 45 x 4 floats.
static void input_transform_s2(const float *x, const Phases *V, float *tmp, const Geo *q, int t0, int T, int total) {
  const int C = q->C, W = q->W;
  const long pl00 = PLANE(T * C), pl4 = PLANE(4 * T * C);
  const v128_t z = wasm_f32x4_splat(0.f);
  for (int t = 0; t < T; t++) {
    const int tile = t0 + t;
    const int per = q->tilesH * q->tilesW, n = tile / per, r = tile - n * per;
    const int h0 = (r / q->tilesW) * 8 - q->pt, w0 = (r % q->tilesW) * 8 - q->pl;
    for (int c = 0; c < C; c += 4) {
      // The tile's 9 x 9 input pixels, row by row: even rows feed phases 00 and 01, odd ones 10 and 11.
      for (int i = 0; i < 9; i++) {
        const int h = h0 + i;
        v128_t d0 = z, d1 = z, d2 = z, d3 = z, d4 = z, d5 = z, d6 = z, d7 = z, d8 = z;
        if (tile < total && h >= 0 && h < q->H) {
          const float *row = x + ((long)n * q->H + h) * W * C + c;
#define LD(d, k) if (w0 + (k) >= 0 && w0 + (k) < W) d = wasm_v128_load(row + (long)(w0 + (k)) * C)
          LD(d0, 0); LD(d1, 1); LD(d2, 2); LD(d3, 3); LD(d4, 4); LD(d5, 5); LD(d6, 6); LD(d7, 7); LD(d8, 8);
#undef LD
        }
        v128_t o0, o1, o2, o3, o4;
        BT5(d0, d2, d4, d6, d8, o0, o1, o2, o3, o4);
        if (i % 2 == 0) {
          // Phase 00's row transform and phase 01's pixels wait in tmp for the column pass.
          float *m = tmp + (i / 2) * 36;
          wasm_v128_store(m, o0); wasm_v128_store(m + 4, o1); wasm_v128_store(m + 8, o2);
          wasm_v128_store(m + 12, o3); wasm_v128_store(m + 16, o4);
          wasm_v128_store(m + 20, d1); wasm_v128_store(m + 24, d3); wasm_v128_store(m + 28, d5); wasm_v128_store(m + 32, d7);
        } else {
          // Phase 10 (row u of the tile): done along the row; phase 11: the pixels themselves.
          const int u = i / 2;
          float *v = V->p10 + (long)(t * 4 + u) * C + c;
          wasm_v128_store(v, o0); wasm_v128_store(v + pl4, o1); wasm_v128_store(v + 2 * pl4, o2);
          wasm_v128_store(v + 3 * pl4, o3); wasm_v128_store(v + 4 * pl4, o4);
          float *e = V->p11 + (long)(t * 16 + u * 4) * C + c;
          wasm_v128_store(e, d1); wasm_v128_store(e + C, d3); wasm_v128_store(e + 2 * C, d5); wasm_v128_store(e + 3 * C, d7);
        }
      }
      // Along the columns: phase 00's 5, phase 01's 4.
      for (int k = 0; k < 9; k++) {
#define TM(i) wasm_v128_load(tmp + (i) * 36 + k * 4)
        v128_t o0, o1, o2, o3, o4;
        BT5(TM(0), TM(1), TM(2), TM(3), TM(4), o0, o1, o2, o3, o4);
#undef TM
        float *v;
        long step;
        if (k < 5) v = V->p00 + k * pl00 + (long)t * C + c, step = 5 * pl00;  // from row position l to l + 1
        else v = V->p01 + (long)(t * 4 + k - 5) * C + c, step = pl4;
        wasm_v128_store(v, o0); wasm_v128_store(v + step, o1); wasm_v128_store(v + 2 * step, o2);
        wasm_v128_store(v + 3 * step, o3); wasm_v128_store(v + 4 * step, o4);
      }
    }
  }
}

// y = act(A^T (M00 A + M01) + M10 A + M11 + bias) for the block's tiles, cut at the image's edge;
// tmp holds 20 x 4 floats.
static void output_transform_s2(const Phases *M, const float *bias, float *y, float *tmp, const Geo *q, int t0, int T, int total, int flags) {
  const int O = q->O;
  const v128_t z = wasm_f32x4_splat(0.f);
  const long pl00 = PLANE(T * O), pl4 = PLANE(4 * T * O);
  for (int t = 0; t < T && t0 + t < total; t++) {
    const int tile = t0 + t, per = q->tilesH * q->tilesW, n = tile / per, r = tile - n * per;
    const int ho0 = (r / q->tilesW) * 4, wo0 = (r % q->tilesW) * 4;
    for (int o = 0; o < O; o += 4) {
      const v128_t b = flags & 2 ? wasm_v128_load(bias + o) : z;
      // R [5][4] = M00 A + M01, row position by row position.
      for (int a = 0; a < 5; a++) {
        const float *m = M->p00 + (long)a * 5 * pl00 + (long)t * O + o;
        const float *m01 = M->p01 + (long)a * pl4 + (long)t * 4 * O + o;
        v128_t s0, s1, s2, s3;
        AT5(wasm_v128_load(m), wasm_v128_load(m + pl00), wasm_v128_load(m + 2 * pl00), wasm_v128_load(m + 3 * pl00),
            wasm_v128_load(m + 4 * pl00), s0, s1, s2, s3);
        float *w = tmp + a * 16;
        wasm_v128_store(w, ADD(s0, wasm_v128_load(m01))); wasm_v128_store(w + 4, ADD(s1, wasm_v128_load(m01 + O)));
        wasm_v128_store(w + 8, ADD(s2, wasm_v128_load(m01 + 2 * O))); wasm_v128_store(w + 12, ADD(s3, wasm_v128_load(m01 + 3 * O)));
      }
      // Row u of the output: A^T R's row u, plus row u of M10 A + M11.
      v128_t c0[4], c1[4], c2[4], c3[4];  // column s of A^T R, by row
      for (int s = 0; s < 4; s++) {
#define TW(a) wasm_v128_load(tmp + (a) * 16 + s * 4)
        AT5(TW(0), TW(1), TW(2), TW(3), TW(4), c0[s], c1[s], c2[s], c3[s]);
#undef TW
      }
      for (int u = 0; u < 4 && ho0 + u < q->Ho; u++) {
        const float *m10 = M->p10 + (long)(t * 4 + u) * O + o, *m11 = M->p11 + (long)(t * 16 + u * 4) * O + o;
        v128_t e0, e1, e2, e3;
        AT5(wasm_v128_load(m10), wasm_v128_load(m10 + pl4), wasm_v128_load(m10 + 2 * pl4), wasm_v128_load(m10 + 3 * pl4),
            wasm_v128_load(m10 + 4 * pl4), e0, e1, e2, e3);
        const v128_t *cu = u == 0 ? c0 : u == 1 ? c1 : u == 2 ? c2 : c3;
        float *out = y + (((long)n * q->Ho + ho0 + u) * q->Wo + wo0) * O + o;
#define PUT(s, e) \
  if (wo0 + (s) < q->Wo) wasm_v128_store(out + (s) * O, epilogue(ADD(ADD(cu[s], e), wasm_v128_load(m11 + (s) * O)), b, flags));
        PUT(0, e0) PUT(1, e1) PUT(2, e2) PUT(3, e3)
#undef PUT
      }
    }
  }
}

// Floats of scratch conv3x3s2_winograd needs for C inputs and O outputs (besides U).
__attribute__((export_name("winograd_s2_scratch")))
int winograd_s2_scratch(int C, int O) {
  const int T = tile_block(4 * C, O);
  return 180 + phases_size(T, C) + phases_size(T, O);
}

// y [N][Ho][Wo][O], a 3x3 stride-2 conv of x [N][H][W][C] from winograd_s2_filter's U; flags as
// conv3x3_winograd's but the pool (8). Returns 0, or 1 when C % 4 or O % 8 is not 0 or 8 is set (y untouched).
__attribute__((export_name("conv3x3s2_winograd")))
int conv3x3s2_winograd(const float *x, const float *U, const float *bias, float *y, float *scratch, int N, int H, int W, int C, int O,
                       int Ho, int Wo, int pt, int pl, int flags) {
  if (C % 4 != 0 || O % 8 != 0 || flags & 8) return 1;
  const Geo q = {H, W, C, O, Ho, Wo, pt, pl, (Ho + 3) / 4, (Wo + 3) / 4};
  const int total = N * q.tilesH * q.tilesW, T = tile_block(4 * C, O);
  float *tmp = scratch;
  const long plane = PLANE(C * O);
  for (int t0 = 0; t0 < total; t0 += T) {
    const int left = total - t0, Tb = left < T ? (left + 3) / 4 * 4 : T;
    const Phases V = phases_of(scratch + 180, Tb, C), M = phases_of(scratch + 180 + phases_size(Tb, C), Tb, O);
    input_transform_s2(x, &V, tmp, &q, t0, Tb, total);
    gemm(V.p00, U, M.p00, 25, Tb, C, O);
    gemm(V.p01, U + 25 * plane, M.p01, 5, 4 * Tb, C, O);
    gemm(V.p10, U + 30 * plane, M.p10, 5, 4 * Tb, C, O);
    gemm(V.p11, U + 35 * plane, M.p11, 1, 16 * Tb, C, O);
    output_transform_s2(&M, bias, y, tmp, &q, t0, Tb, total, flags);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// A k x k stride-2 conv (k = 5 or 6: cxrResNet's gray stem) as a 3 x 3 stride-1 one on the input's
// four phases, which Winograd's F(4x4, 3x3) above then takes: with X [r][q][(2a + b) C + c] =
// x[2r + a - pt][2q + b - pl][c] and g2 [u][v][(2a + b) C + c] = g[2u + a][2v + b][c] (zero past k),
// y[ho][wo] = sum over u, v < 3 of X[ho + u][wo + v] . g2[u][v], a valid conv of X. For the stem,
// 9 multiplies an output and input phase (36 over 16 outputs, times 4 phases) where the direct
// 5x5 takes 25; and its 2x2 max pool can join the output transform (flag 8).

// X [N][Hq][Wq][4C] from x [N][H][W][C], zeros outside x.
__attribute__((export_name("space_to_depth2")))
void space_to_depth2(const float *x, float *X, int N, int H, int W, int C, int Hq, int Wq, int pt, int pl) {
  if (C == 1) {
    // The gray stem: each X pixel is two pairs of neighbours, one from each of two rows.
    for (int n = 0; n < N; n++)
      for (int r = 0; r < Hq; r++) {
        const int h0 = 2 * r - pt, rows = h0 >= 0 && h0 + 1 < H;
        const float *x0 = x + ((long)n * H + h0) * W, *x1 = x0 + W;
        float *d = X + ((long)n * Hq + r) * Wq * 4;
        for (int q = 0; q < Wq; q++, d += 4) {
          const int w = 2 * q - pl;
          if (rows && w >= 0 && w + 1 < W) {
            wasm_v128_store(d, wasm_v128_load64_lane(x1 + w, wasm_v128_load64_zero(x0 + w), 1));
            continue;
          }
          for (int k = 0; k < 4; k++) {
            const int h = h0 + (k >> 1), ww = w + (k & 1);
            d[k] = h >= 0 && h < H && ww >= 0 && ww < W ? x[((long)n * H + h) * W + ww] : 0.f;
          }
        }
      }
    return;
  }
  for (int n = 0; n < N; n++)
    for (int r = 0; r < Hq; r++)
      for (int a = 0; a < 2; a++) {
        const int h = 2 * r + a - pt;
        for (int q = 0; q < Wq; q++)
          for (int b = 0; b < 2; b++) {
            const int w = 2 * q + b - pl;
            float *d = X + (((long)n * Hq + r) * Wq + q) * 4 * C + (2 * a + b) * C;
            const float *src = x + (((long)n * H + h) * W + w) * C;
            const int inside = h >= 0 && h < H && w >= 0 && w < W;
            for (int c = 0; c < C; c++) d[c] = inside ? src[c] : 0.f;
          }
      }
}

// g2 [3][3][4C][O] from the HWIO filter g [k][k][C][O] (k <= 6); returns 1 for k > 6.
__attribute__((export_name("space_to_depth2_filter")))
int space_to_depth2_filter(const float *g, float *g2, int k, int C, int O) {
  if (k > 6) return 1;
  for (int u = 0; u < 3; u++)
    for (int v = 0; v < 3; v++)
      for (int ph = 0; ph < 4; ph++) {
        const int i = 2 * u + (ph >> 1), j = 2 * v + (ph & 1);
        for (int c = 0; c < C; c++) {
          float *d = g2 + (((long)(u * 3 + v) * 4 * C) + ph * C + c) * O;
          const float *src = g + ((long)(i * k + j) * C + c) * O;
          for (int o = 0; o < O; o++) d[o] = i < k && j < k ? src[o] : 0.f;
        }
      }
  return 0;
}
