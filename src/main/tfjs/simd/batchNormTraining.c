// Batch normalization in training mode over an NHWC map seen as M = N*H*W pixels of C channels
// (C % 4 == 0), forward and backward, a few passes over the map instead of the ten-odd elementwise
// and pooling passes of batchNormTraining.ts's tfjs route (memory-bound: the stem's 32x64x64x32 map
// is 16 MB a pass).
//   forward:  mean, biased variance (two passes: sum of (x - mean)^2, as the tfjs route), then
//             y = (x - mean) * gamma * invStd + beta
//   backward: with d = x - mean, a = gamma * invStd:
//             dBeta = sum dy, dGamma = invStd * sum dy*d,
//             dx = a*dy - a*invStd^2*mean(dy*d)*d - a*mean(dy)
// Channel sums accumulate in float32 over chunks of pixels, and the chunks' sums in float64, so that
// a sum over 131,072 pixels loses no more than a chunk's rounding. `acc` is scratch of 2*C doubles.
#include <wasm_simd128.h>

#define CHUNK 256

// acc[k] += sum over pixels of f(pixel, channel k), f given per 4 channels as an expression of
// the pixel's vectors; twice (acc[0..C) and acc[C..2C)) for two sums in one pass.
#define CHANNEL_SUMS(M, C, part, EXPR_A, EXPR_B)                                          \
  for (long p0 = 0; p0 < (M); p0 += CHUNK) {                                              \
    const long p1 = p0 + CHUNK < (M) ? p0 + CHUNK : (M);                                  \
    for (int k = 0; k < (C); k += 4) {                                                    \
      v128_t sa = wasm_f32x4_splat(0.0f), sb = wasm_f32x4_splat(0.0f);                    \
      for (long p = p0; p < p1; p++) {                                                    \
        const long at = p * (C) + k;                                                      \
        sa = wasm_f32x4_add(sa, EXPR_A);                                                  \
        sb = wasm_f32x4_add(sb, EXPR_B);                                                  \
      }                                                                                   \
      wasm_v128_store(part + k, sa);                                                      \
      wasm_v128_store(part + (C) + k, sb);                                                \
    }                                                                                     \
    for (int k = 0; k < 2 * (C); k++) acc[k] += part[k];                                  \
  }

static void zero(double *acc, int n) {
  for (int k = 0; k < n; k++) acc[k] = 0.0;
}

// part: scratch of 2*C floats (the chunk sums).
__attribute__((export_name("batch_norm_train_forward")))
int batch_norm_train_forward(const float *x, const float *gamma, const float *beta, float *y, float *mean, float *variance,
                             float *inv_std, double *acc, float *part, long M, int C, float eps) {
  if (C % 4 != 0 || M <= 0) return 1;
  const v128_t zero4 = wasm_f32x4_splat(0.0f);
  zero(acc, 2 * C);
  CHANNEL_SUMS(M, C, part, wasm_v128_load(x + at), zero4)
  for (int k = 0; k < C; k++) mean[k] = (float)(acc[k] / (double)M);
  zero(acc, 2 * C);
#define D (wasm_f32x4_sub(wasm_v128_load(x + at), wasm_v128_load(mean + k)))
  CHANNEL_SUMS(M, C, part, wasm_f32x4_mul(D, D), zero4)
#undef D
  for (int k = 0; k < C; k++) {
    variance[k] = (float)(acc[k] / (double)M);
    // 1/sqrt in float, as the tfjs route's rsqrt.
    inv_std[k] = 1.0f / __builtin_sqrtf(variance[k] + eps);
    part[k] = gamma[k] * inv_std[k];
  }
  for (long p = 0; p < M; p++) {
    for (int k = 0; k < C; k += 4) {
      const long at = p * C + k;
      const v128_t d = wasm_f32x4_sub(wasm_v128_load(x + at), wasm_v128_load(mean + k));
      wasm_v128_store(y + at, wasm_f32x4_add(wasm_f32x4_mul(d, wasm_v128_load(part + k)), wasm_v128_load(beta + k)));
    }
  }
  return 0;
}

// part: scratch of 4*C floats (chunk sums, then the three per-channel factors of dx).
__attribute__((export_name("batch_norm_train_backward")))
int batch_norm_train_backward(const float *dy, const float *x, const float *mean, const float *inv_std, const float *gamma,
                              float *dx, float *d_gamma, float *d_beta, double *acc, float *part, long M, int C) {
  if (C % 4 != 0 || M <= 0) return 1;
  zero(acc, 2 * C);
#define G (wasm_v128_load(dy + at))
#define D (wasm_f32x4_sub(wasm_v128_load(x + at), wasm_v128_load(mean + k)))
  CHANNEL_SUMS(M, C, part, G, wasm_f32x4_mul(G, D))
#undef G
#undef D
  float *a = part, *bd = part + C, *c0 = part + 2 * C;
  for (int k = 0; k < C; k++) {
    const float mean_dy = (float)(acc[k] / (double)M), mean_dyd = (float)(acc[C + k] / (double)M);
    d_beta[k] = (float)acc[k];
    d_gamma[k] = (float)(acc[C + k] * inv_std[k]);
    a[k] = gamma[k] * inv_std[k];
    bd[k] = -a[k] * inv_std[k] * inv_std[k] * mean_dyd;
    c0[k] = a[k] * mean_dy;
  }
  for (long p = 0; p < M; p++) {
    for (int k = 0; k < C; k += 4) {
      const long at = p * C + k;
      const v128_t d = wasm_f32x4_sub(wasm_v128_load(x + at), wasm_v128_load(mean + k));
      const v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(dy + at), wasm_v128_load(a + k)), wasm_f32x4_mul(d, wasm_v128_load(bd + k)));
      wasm_v128_store(dx + at, wasm_f32x4_sub(v, wasm_v128_load(c0 + k)));
    }
  }
  return 0;
}
