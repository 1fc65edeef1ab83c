#!/usr/bin/env bash
# Trains the shipped default model (cxrResNet, the chest recipe: balanced (class, source) epochs,
# shortcut-breaking augmentation, cosine decay) on cxr3 + adult + nih train, selecting on the three
# val splits by the worst source, in the background with a log and a resumable checkpoint.
# Usage: scripts/train-default.sh <workdir> [deadline ISO] [epochs] [epoch size]
# Then scripts/calibrate-default.sh <workdir>/default, and copy it into resources/models/default.
set -euo pipefail
work=${1:?workdir}
deadline=${2:-}
epochs=${3:-12}
size=${4:-5000}
mkdir -p "$work"
cd "$(dirname "$0")/.."
args=(train --data ../shared/data/cxr3 --data ../shared/data/adult --data ../shared/data/nih --arch cxrResNet
  --epochs "$epochs" --epoch-size "$size" --seed 1 --out "$work/default" --data-dir "$work/data" --name "cxrResNet default" --json)
[ -n "$deadline" ] && args+=(--deadline "$deadline")
[ -d "$work/default.checkpoint/last" ] && args+=(--resume)
exec npm run -s cxr -- "${args[@]}"
