#!/usr/bin/env bash
# Calibrates a model folder (default: the shipped model) on cxr3 val + adult val: temperature, ECE
# before/after, conformal sets at 90 %, OOD threshold and the shortcut probe, all into its card.json.
# Then writes Grad-CAM overlays for the first cxr3 val image of each class under <out> (not the repo).
# Usage: scripts/calibrate-default.sh [model dir] [out dir]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-resources/models/default}
out=${2:-/tmp/heatmaps}
mkdir -p "$out"
npm run -s cxr -- calibrate --model "$model" --data ../shared/data/cxr3 --data ../shared/data/adult --split val --probe --json \
  > "$out/calibrate.json"
for c in COVID19 NORMAL PNEUMONIA; do
  f=$(ls ../shared/data/cxr3/images/val/$c | sort | head -1)
  npm run -s cxr -- predict "../shared/data/cxr3/images/val/$c/$f" --model "$model" --heatmap "$out/$c.png" --json > "$out/$c.json"
done
npm run -s cxr -- eval --model "$model" --data ../shared/data/cxr3 --data ../shared/data/adult --split val --json > "$out/eval.json"
echo "done: $out"
