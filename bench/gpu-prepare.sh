#!/usr/bin/env bash
# Prepares .gpu/ for bench/gpu-check.sh on the lent GPU machine, which has no network and probably
# no Node: a bundle of the model code + tfjs + the WebGPU backend, Dawn's linux-x64 binary, this
# machine's node (xz), and the Vulkan/EGL loader packages. Everything stays under the 64 MiB a
# device call may carry. Run here: bash bench/gpu-prepare.sh; then, with the device tool,
#   run(command: "bash bench/gpu-check.sh", carry: [".gpu"], timeout_s: 480)
set -euo pipefail
cd "$(dirname "$0")/.."
out=.gpu
rm -rf "$out"
mkdir -p "$out/node_modules/webgpu/dist/linux-x64" "$out/debs"

# The scripts, bundled with tfjs and the webgpu backend; Dawn is native and stays external.
npx esbuild bench/gradCheck.ts bench/model.ts --bundle --platform=node --format=esm --target=node20 \
  --outdir="$out" --out-extension:.js=.mjs --log-level=warning \
  --external:webgpu --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
  --banner:js="import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);"
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$out/"
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$out/node_modules/webgpu/"
xz -T2 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$out/dawn.node.xz"
xz -T2 -6 -c "$(command -v node)" > "$out/node.xz"

# Loaders for Vulkan and EGL (the device README's recipe), amd64 whatever this machine is.
mkdir -p /tmp/amd64/partial
o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
apt-get "${o[@]}" update -qq
(cd "$out/debs" && apt-get "${o[@]}" download -qq libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
du -sh "$out"
