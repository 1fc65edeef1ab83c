#!/usr/bin/env bash
# Prepares .gpu/ for bench/gpu-check.sh on the lent GPU machine, which has no network, no Node and
# none of our data: bundles of the check scripts (model code + tfjs + the WebGPU backend), Dawn's
# linux-x64 binary, this machine's node (stripped), the Vulkan/EGL loader packages, and cxr3
# decoded with the shared preprocessing for the zhong2020 reproduction. All xz-compressed: a device
# call carries at most 64 MiB with the working tree. Run here: bash bench/gpu-prepare.sh; then
#   run(command: "bash bench/gpu-check.sh", carry: [".gpu"], timeout_s: 580)
set -euo pipefail
cd "$(dirname "$0")/.."
out=.gpu
rm -rf "$out"
mkdir -p "$out/node_modules/webgpu" "$out/node_modules/sharp" "$out/debs"
z() { xz -T2 "$@"; }

# The scripts, bundled with tfjs and the webgpu backend into shared chunks; Dawn is native and
# stays external. sharp is never called there (the reproduction reads decoded images): a stub
# that says so stands in for it.
npx esbuild bench/gradCheck.ts bench/model.ts bench/gpuRepro.ts --bundle --splitting --minify --platform=node --format=esm \
  --target=node20 --outdir="$out" --out-extension:.js=.mjs --log-level=warning \
  --external:webgpu --external:sharp --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
  --banner:js="import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);"
echo '{"name":"sharp","main":"index.js"}' > "$out/node_modules/sharp/package.json"
echo 'module.exports = () => { throw new Error("sharp is not carried to the GPU machine"); };' > "$out/node_modules/sharp/index.js"
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$out/node_modules/webgpu/"
z -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$out/dawn.node.xz"
strip -o /tmp/cxr-node-stripped "$(command -v node)"
z -9 -c /tmp/cxr-node-stripped > "$out/node.xz"
rm -f /tmp/cxr-node-stripped

# cxr3 train at 96² and val at 80², exactly as train.ts caches them. The delta filter at one row
# of the 96² train images (each pixel minus the one above) makes it 30 MB, 3 MB less than xz alone.
npx tsx bench/gpuRepro.ts pack /tmp/cxr3.pack 2>/dev/null
z --format=xz --delta=dist=96 --lzma2=preset=6 -c /tmp/cxr3.pack > "$out/cxr3.pack.xz"
rm -f /tmp/cxr3.pack

# Loaders for Vulkan and EGL (the device README's recipe), amd64 whatever this machine is.
mkdir -p /tmp/amd64/partial
o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
apt-get "${o[@]}" update -qq
(cd "$out/debs" && apt-get "${o[@]}" download -qq libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
du -sh "$out"
