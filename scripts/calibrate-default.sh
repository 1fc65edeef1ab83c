#!/usr/bin/env bash
# Calibrates a model folder (default: the shipped model) on cxr3 + adult + nih val: temperature, ECE
# before/after, class-conditional conformal sets at 90 %, the OOD threshold, the COVID-19 operating
# point at 0.95 sensitivity (every source with enough COVID-19 films), and the shortcut probe, all into
# its card.json. Then evaluates it on each val split (cxr3, adult, nih: cxr eval --json) and writes
# Grad-CAM overlays under <out> (not the repo) for the first val image of each source and class.
# Usage: scripts/calibrate-default.sh [model dir] [out dir]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-resources/models/default}
out=${2:-/tmp/heatmaps}
mkdir -p "$out"
data=(--data ../shared/data/cxr3 --data ../shared/data/adult --data ../shared/data/nih)
npm run -s cxr -- calibrate --model "$model" "${data[@]}" --split val --sensitivity 0.95 --probe --json > "$out/calibrate.json"
for set in cxr3 adult nih; do
  npm run -s cxr -- eval --model "$model" --data "../shared/data/$set" --split val --json > "$out/eval-$set.json"
done
first() { local files=($1); echo "${files[0]}"; } # globs sort; no ls|head (SIGPIPE under pipefail)
for pick in "cxr3-COVID19 ../shared/data/cxr3/images/val/COVID19/cohen_*" "cxr3-NORMAL ../shared/data/cxr3/images/val/NORMAL/kermany_*" \
  "cxr3-PNEUMONIA ../shared/data/cxr3/images/val/PNEUMONIA/kermany_*" "adult-COVID19 ../shared/data/adult/images/val/COVID19/*" \
  "adult-NORMAL ../shared/data/adult/images/val/NORMAL/*" "nih-NORMAL ../shared/data/nih/images/val/NORMAL/*" \
  "nih-PNEUMONIA ../shared/data/nih/images/val/PNEUMONIA/*"; do
  name=${pick%% *}
  f=$(first "${pick#* }")
  npm run -s cxr -- predict "$f" --model "$model" --heatmap "$out/$name.png" --json > "$out/$name.json"
done
echo "done: $out"
