// The multiply-add of every kernel's inner loop: a += x * g.
// Built twice (scripts/build-wasm.sh): with -mrelaxed-simd it is relaxed SIMD's f32x4.relaxed_madd,
// which V8 lowers to one fused vfmadd where the CPU has FMA3 (and to a multiply and an add where it
// has not); without, SIMD128's separate multiply and add, two instructions and two roundings.
// simdModule.ts loads the relaxed build where the engine validates it (Electron 45's V8 does; Node
// 20's V8 after --experimental-wasm-relaxed-simd) and the plain one otherwise.
#pragma once
#include <wasm_simd128.h>

#ifdef __wasm_relaxed_simd__
#define MADD(x, g, a) __builtin_wasm_relaxed_madd_f32x4(x, g, a)
#else
#define MADD(x, g, a) wasm_f32x4_add(wasm_f32x4_mul(x, g), a)
#endif

#define MAC(a, xv, g) a = MADD(xv, g, a)
