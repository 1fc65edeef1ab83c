// The register block our conv kernels share (directConv.c, convInputGrad.c, winograd.c's GEMM):
// 4 rows (output pixels or tiles) x 8 columns (channels) of accumulators, a00..a31, fed per step
// by one scalar of each row, splat, and 8 consecutive weights. 8 accumulators, 2 weight vectors
// and the splats fit the 16 SIMD registers V8 has on x64; a bigger block spills.
#include "madd.h"

#define BLOCK_ZERO                                                                                      \
  v128_t a00 = wasm_f32x4_splat(0.f), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, \
         a31 = a00

// a[r] += p_r[0] * g[0..8] for r = 0..3.
#define BLOCK_STEP(p0, p1, p2, p3, g)                                                                        \
  do {                                                                                                       \
    const v128_t g0_ = wasm_v128_load(g), g1_ = wasm_v128_load((g) + 4);                                     \
    const v128_t x0_ = wasm_v128_load32_splat(p0), x1_ = wasm_v128_load32_splat(p1);                         \
    const v128_t x2_ = wasm_v128_load32_splat(p2), x3_ = wasm_v128_load32_splat(p3);                         \
    MAC(a00, x0_, g0_); MAC(a01, x0_, g1_);                                                                  \
    MAC(a10, x1_, g0_); MAC(a11, x1_, g1_);                                                                  \
    MAC(a20, x2_, g0_); MAC(a21, x2_, g1_);                                                                  \
    MAC(a30, x3_, g0_); MAC(a31, x3_, g1_);                                                                  \
  } while (0)

// Rows r < m of the block, each through F (an expression of the accumulator), to out + r * step.
#define BLOCK_STORE(out, step, m, F)                                                                               \
  do {                                                                                                             \
    wasm_v128_store(out, F(a00, 0)); wasm_v128_store((out) + 4, F(a01, 1));                                        \
    if ((m) > 1) { wasm_v128_store((out) + (step), F(a10, 0)); wasm_v128_store((out) + (step) + 4, F(a11, 1)); }     \
    if ((m) > 2) { wasm_v128_store((out) + 2 * (step), F(a20, 0)); wasm_v128_store((out) + 2 * (step) + 4, F(a21, 1)); } \
    if ((m) > 3) { wasm_v128_store((out) + 3 * (step), F(a30, 0)); wasm_v128_store((out) + 3 * (step) + 4, F(a31, 1)); } \
  } while (0)
