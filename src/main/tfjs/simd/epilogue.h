// The epilogue of our conv kernels (winograd.c, directConv.c): a + b, then by flags the ReLU (1)
// or the ELU (4) (flag 2, a bias, is the caller's: b is zeros without one).
#include <wasm_simd128.h>

// ELU, x < 0 ? expm1(x) : x. expm1(x) = 2^n (expm1(r) + 1) - 1 with x = n ln2 + r, |r| <= ln2/2,
// and expm1(r) as r + r^2 p(r), Cephes' expf polynomial: exact to a few ulp, and to a few ulp of
// expm1 itself near 0 (n = 0), where exp(x) - 1, what tfjs's cpu backend computes, loses digits.
static inline v128_t elu4(v128_t x) {
  const v128_t zero = wasm_f32x4_splat(0.f);
  const v128_t t = wasm_f32x4_min(wasm_f32x4_max(x, wasm_f32x4_splat(-87.f)), zero);
  const v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(t, wasm_f32x4_splat(1.44269504f)));
  v128_t r = wasm_f32x4_sub(t, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
  const v128_t em = wasm_f32x4_add(r, wasm_f32x4_mul(p, wasm_f32x4_mul(r, r)));
  // 2^n for n in [-126, 0]: the exponent field.
  const v128_t scale = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  const v128_t y = wasm_f32x4_add(wasm_f32x4_mul(scale, em), wasm_f32x4_sub(scale, wasm_f32x4_splat(1.f)));
  return wasm_v128_bitselect(y, x, wasm_f32x4_lt(x, zero));
}

static inline v128_t epilogue(v128_t a, v128_t b, int flags) {
  a = wasm_f32x4_add(a, b);
  if (flags & 1) return wasm_f32x4_max(a, wasm_f32x4_splat(0.f));
  if (flags & 4) return elu4(a);
  return a;
}
