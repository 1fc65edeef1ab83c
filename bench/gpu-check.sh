#!/usr/bin/env bash
# The GPU check, on the lent GPU machine (see bench/gpu-prepare.sh): WebGPU (Dawn, Vulkan
# underneath) training gradients against cpu, then bench/model on WebGPU for both architectures.
# Writes JSON and logs to $OUT; every step has a time limit so the call ends inside 8 minutes.
set -uo pipefail
cd "$(dirname "$0")/.."
G="$PWD/.gpu"
OUT="${OUT:-/tmp/gpu-check}"
mkdir -p "$OUT"
[ -d "$G" ] || { echo "no .gpu/: run bench/gpu-prepare.sh here and carry .gpu" >&2; exit 2; }

# Unpack the loaders only on the GPU machine (never over a workstation's own libraries).
if command -v nvidia-smi >/dev/null && [ "$(id -u)" -eq 0 ] && ! ldconfig -p | grep -q libvulkan.so.1; then
  for f in "$G"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$icd" ] && export VK_DRIVER_FILES="$icd" && break
done
[ -f /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json ] && export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json

NODE="$(command -v node || true)"
if [ -z "$NODE" ]; then
  NODE=/tmp/cxr-node
  [ -x "$NODE" ] || { xz -dc "$G/node.xz" > "$NODE" && chmod +x "$NODE"; }
fi
[ -f "$G/node_modules/webgpu/dist/linux-x64/dawn.node" ] || xz -dc "$G/dawn.node.xz" > "$G/node_modules/webgpu/dist/linux-x64/dawn.node"

{ nvidia-smi -L; ldconfig -p | grep -E 'libvulkan|libEGL' ; echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-}"; "$NODE" --version; } > "$OUT/machine.txt" 2>&1

cd "$G"
CXR_BACKEND=webgpu timeout 150 "$NODE" gradCheck.mjs > "$OUT/grad-check.json" 2> "$OUT/grad-check.log"
echo "grad-check exit $?" >> "$OUT/machine.txt"
CXR_BACKEND=webgpu BENCH_WORKERS=0 timeout 270 "$NODE" model.mjs > "$OUT/bench-model-webgpu.json" 2> "$OUT/bench-model-webgpu.log"
echo "bench exit $?" >> "$OUT/machine.txt"
cat "$OUT/machine.txt"
tail -n 3 "$OUT/grad-check.log" "$OUT/bench-model-webgpu.log"
tail -n 1 "$OUT/grad-check.json" "$OUT/bench-model-webgpu.json"
