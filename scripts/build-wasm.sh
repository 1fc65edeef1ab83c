#!/usr/bin/env bash
# Builds our wasm SIMD kernels from src/main/tfjs/simd/*.c with Debian's clang 16 and lld 16
# (apt-get install clang-16 lld-16; `npm run build:wasm`), twice:
#   resources/wasm/cxr-simd.wasm       SIMD128 (-msimd128), which every engine we run on has;
#   resources/wasm/cxr-simd-fma.wasm   with relaxed SIMD (-mrelaxed-simd): simd/madd.h's
#                                      multiply-add is one fused f32x4.relaxed_madd.
# clang 16, not Debian 12's default clang 14: clang 14 emits relaxed SIMD's pre-standard opcodes,
# which no shipping engine accepts. The binaries are committed (tens of kB), so the app and CI load
# them without a compiler; src/main/tfjs/__tests__/simdFilterGrad.test.ts checks they are this
# source's build (with the clang release named in their producers section).
# Usage: scripts/build-wasm.sh [output folder]   (default resources/wasm)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-resources/wasm}"
cc="${CLANG:-clang-16}"
command -v "$cc" >/dev/null || { echo "build-wasm.sh: no $cc (apt-get install clang-16 lld-16)" >&2; exit 1; }
mkdir -p "$out"
# -nostdlib: no libc; --import-memory: the tfjs backend's heap; -O3.
build() {
  "$cc" --target=wasm32 "$@" -O3 -nostdlib -ffreestanding -fno-builtin \
    -Wl,--no-entry -Wl,--import-memory -Wl,--strip-debug src/main/tfjs/simd/*.c
}
build -msimd128 -o "$out/cxr-simd.wasm"
build -msimd128 -mrelaxed-simd -o "$out/cxr-simd-fma.wasm"
echo "build-wasm.sh: $out/cxr-simd.wasm ($(wc -c < "$out/cxr-simd.wasm") bytes), $out/cxr-simd-fma.wasm ($(wc -c < "$out/cxr-simd-fma.wasm") bytes)"
