#!/usr/bin/env bash
# Trains the shipped default model (zhongSlim) on cxr3 train + adult train, selecting on both val
# splits, in the background with a log. Usage: scripts/train-default.sh <workdir> [deadline ISO] [epochs]
# Then copy <workdir>/default into resources/models/default.
set -euo pipefail
work=${1:?workdir}
deadline=${2:-}
epochs=${3:-10}
mkdir -p "$work"
cd "$(dirname "$0")/.."
args=(train --data ../shared/data/cxr3 --data ../shared/data/adult --arch zhongSlim --epochs "$epochs"
  --seed 1 --contrast 0.8,1.2 --out "$work/default" --data-dir "$work/data" --name "CXR Triage default (zhongSlim)" --json)
[ -n "$deadline" ] && args+=(--deadline "$deadline")
[ -d "$work/default.checkpoint/last" ] && args+=(--resume)
exec npm run -s cxr -- "${args[@]}"
