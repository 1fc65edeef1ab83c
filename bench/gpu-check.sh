#!/usr/bin/env bash
# The GPU check, on the lent GPU machine (see bench/gpu-prepare.sh), in one call of under 10 min:
#   1. WebGPU (Dawn, Vulkan underneath) training gradients against cpu, stock and with the
#      opt-in matmul filter gradient, and bench/model with each                ≤ 4 × 60 s
#   2. the paper's zhong2020 reproduction on WebGPU (bench/gpuRepro.ts), bounded by a deadline
#   3. bench/model on WebGPU for both architectures                           the rest, ≥ 80 s
# Writes JSON to $OUT and every step's stderr to $OUT/logs.txt (a device call returns at most 8
# files); every step has a time limit. GPU_CHECK_STEPS picks steps (default "grad repro bench");
# "repro" alone with GPU_CHECK_END_S=570 (and timeout_s 590) gives the reproduction the whole call.
set -uo pipefail
cd "$(dirname "$0")/.."
G="$PWD/.gpu"
OUT="${OUT:-/tmp/gpu-check}"
END_S="${GPU_CHECK_END_S:-560}" # the whole script ends by then
mkdir -p "$OUT"
[ -d "$G" ] || { echo "no .gpu/: run bench/gpu-prepare.sh here and carry .gpu" >&2; exit 2; }
STEPS=" ${GPU_CHECK_STEPS:-grad repro bench} "
left() { echo $((END_S - SECONDS)); }
step() { [[ "$STEPS" == *" $1 "* ]]; }

# Unpack the loaders only on the GPU machine (never over a workstation's own libraries).
if command -v nvidia-smi >/dev/null && [ "$(id -u)" -eq 0 ] && ! ldconfig -p | grep -q libvulkan.so.1; then
  for f in "$G"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$icd" ] && export VK_DRIVER_FILES="$icd" && break
done
[ -f /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json ] && export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json

NODE=/tmp/cxr-node
[ -x "$NODE" ] || { xz -T0 -dc "$G/node.xz" > "$NODE" && chmod +x "$NODE"; }
DAWN="$G/node_modules/webgpu/dist/linux-x64/dawn.node"
[ -f "$DAWN" ] || { mkdir -p "$(dirname "$DAWN")" && xz -T0 -dc "$G/dawn.node.xz" > "$DAWN"; }
PACK=/tmp/cxr3.pack
[ -f "$PACK" ] || xz -T0 -dc "$G/cxr3.pack.xz" > "$PACK"

{ nvidia-smi -L; ldconfig -p | grep -E 'libvulkan|libEGL'; echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-}"; "$NODE" --version; echo "unpacked at ${SECONDS}s"; } > "$OUT/machine.txt" 2>&1

cd "$G"
export CXR_BACKEND=webgpu
if step grad; then
  timeout 60 "$NODE" gradCheck.mjs > "$OUT/grad-check.json" 2>> "$OUT/logs.txt"
  echo "grad-check exit $? at ${SECONDS}s" >> "$OUT/machine.txt"
  # The opt-in filter gradient as matrix products (webgpuKernels.ts): its gradients, and its speed
  # beside the stock kernel's (one line each, stock first), before the reproduction takes the rest.
  CXR_GPU_CONV_GRAD=matmul timeout 60 "$NODE" gradCheck.mjs > "$OUT/grad-check-matmul.json" 2>> "$OUT/logs.txt"
  echo "grad-check (matmul filter gradient) exit $? at ${SECONDS}s" >> "$OUT/machine.txt"
  for mode in stock matmul; do
    CXR_GPU_CONV_GRAD=$mode BENCH_WORKERS=0 BENCH_TRAIN_STEPS=20 timeout 60 "$NODE" model.mjs >> "$OUT/conv-grad-stock-vs-matmul.jsonl" 2>> "$OUT/logs.txt"
    echo "bench ($mode filter gradient) exit $? at ${SECONDS}s" >> "$OUT/machine.txt"
  done
fi

if step repro; then
  # The reproduction may start no epoch that would end later than the benchmark's 80 s before the end.
  reserve=80; step bench || reserve=10
  REPRO_DEADLINE_S=$(($(left) - reserve)) timeout $(($(left) - reserve + 30)) "$NODE" gpuRepro.mjs train "$PACK" /tmp/repro-model \
    > "$OUT/repro.jsonl" 2>> "$OUT/logs.txt"
  echo "repro exit $? at ${SECONDS}s" >> "$OUT/machine.txt"
fi

if step bench; then
  BENCH_WORKERS=0 timeout $(($(left) > 20 ? $(left) : 20)) "$NODE" model.mjs > "$OUT/bench-model-webgpu.json" 2>> "$OUT/logs.txt"
  echo "bench exit $? at ${SECONDS}s" >> "$OUT/machine.txt"
fi
cat "$OUT/machine.txt"
tail -n 12 "$OUT/logs.txt"
for f in grad-check.json grad-check-matmul.json bench-model-webgpu.json; do [ -f "$OUT/$f" ] && tail -n 1 "$OUT/$f"; done
[ -f "$OUT/conv-grad-stock-vs-matmul.jsonl" ] && cut -c1-400 "$OUT/conv-grad-stock-vs-matmul.jsonl"
[ -f "$OUT/repro.jsonl" ] && tail -c 1500 "$OUT/repro.jsonl"
true
