#!/usr/bin/env bash
# Calibrates a model folder (default: the shipped model) on cxr3 val + adult val: temperature, ECE
# before/after, conformal sets at 90 %, OOD threshold and the shortcut probe, all into its card.json.
# Then writes Grad-CAM overlays under <out> (not the repo) for the first cxr3 val image of each class
# from its main source (cohen COVID-19, kermany NORMAL/PNEUMONIA) and for the first adult NORMAL.
# Usage: scripts/calibrate-default.sh [model dir] [out dir]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-resources/models/default}
out=${2:-/tmp/heatmaps}
mkdir -p "$out"
npm run -s cxr -- calibrate --model "$model" --data ../shared/data/cxr3 --data ../shared/data/adult --split val --probe --json \
  > "$out/calibrate.json"
first() { local files=($1); echo "${files[0]}"; } # globs sort; no ls|head (SIGPIPE under pipefail)
val=../shared/data/cxr3/images/val
for pick in "COVID19 $val/COVID19/cohen_*" "NORMAL $val/NORMAL/kermany_*" "PNEUMONIA $val/PNEUMONIA/kermany_*" \
  "NORMAL-adult ../shared/data/adult/images/val/NORMAL/*"; do
  name=${pick%% *}
  f=$(first "${pick#* }")
  npm run -s cxr -- predict "$f" --model "$model" --heatmap "$out/$name.png" --json > "$out/$name.json"
done
npm run -s cxr -- eval --model "$model" --data ../shared/data/cxr3 --data ../shared/data/adult --split val --json > "$out/eval.json"
echo "done: $out"
