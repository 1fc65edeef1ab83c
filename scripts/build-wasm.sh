#!/usr/bin/env bash
# Builds resources/wasm/cxr-simd.wasm from src/main/tfjs/simd/*.c with Debian's clang and lld
# (apt-get install clang lld; `npm run build:wasm`). The binary is committed (a few kB), so the app and CI load it without a
# compiler; src/main/tfjs/__tests__/simdFilterGrad.test.ts checks it is this source's build
# (with the clang release named in the binary's producers section: Debian 12's clang 14.0.6).
# Usage: scripts/build-wasm.sh [output file]   (default resources/wasm/cxr-simd.wasm)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-resources/wasm/cxr-simd.wasm}"
cc="${CLANG:-clang}"
command -v "$cc" >/dev/null || { echo "build-wasm.sh: no $cc (apt-get install clang lld)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
# -nostdlib: no libc; --import-memory: the tfjs backend's heap; -O3 with SIMD128 (no relaxed SIMD:
# Node 20's V8 has it only behind a flag).
"$cc" --target=wasm32 -msimd128 -O3 -nostdlib -ffreestanding -fno-builtin \
  -Wl,--no-entry -Wl,--import-memory -Wl,--strip-debug \
  -o "$out" src/main/tfjs/simd/*.c
echo "build-wasm.sh: $out ($(wc -c < "$out") bytes)"
