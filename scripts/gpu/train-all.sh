#!/usr/bin/env bash
# Trains every builtin model at once on one GPU (used on a lent H200 through the device tool):
#   bash scripts/gpu/train-all.sh <outDir> <seconds per model>
# Needs .gpu/data from `npx tsx scripts/gpu/export-data.ts` and python3 with PyTorch. Each model gets its own
# process (the GPU runs them side by side); each writes <out>/<name>/{best,last,log.jsonl}, packed at the end as
# <out>/<name>.tar.gz (the device tool returns at most 8 files).
set -u
OUT=${1:?out dir}
SECS=${2:-400}
T="${PYTHON:-python3} scripts/gpu/train_torch.py --data .gpu/data --seconds $SECS --val-blocks 16 --validate-seconds 40"
mkdir -p "$OUT/run"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 -c 'import torch; print("torch", torch.__version__, torch.cuda.is_available())'
run() { # name, then trainer flags
  local n=$1; shift
  timeout $((SECS + 60)) $T --out "$OUT/run/$n" "$@" > "$OUT/run/$n.out" 2>&1 &
}
run nmc-k3 --name nmc --init models/nmc --sections 3 --batch 8 --adv-start 1500 --adv-ramp 1000 --ema 0.998
run nmc-k5 --name nmc --init models/nmc --sections 5 --batch 8 --adv-start 1500 --adv-ramp 1000 --ema 0.998
run nmc-k7 --name nmc --init models/nmc --sections 7 --batch 8 --adv-start 1500 --adv-ramp 1000 --ema 0.998
run nmc-k9 --name nmc --init models/nmc --sections 9 --batch 8 --adv-start 1500 --adv-ramp 1000 --ema 0.998
run berea --name berea --init models/berea --batch 8 --adv-start 200 --adv-ramp 800 --ema 0.998
run ketton --name ketton --init models/ketton --batch 8 --adv-start 200 --adv-ramp 800 --ema 0.998
run steel --name steel --init models/steel --batch 4 --adv-start 100 --adv-ramp 500 --ema 0.998
( while sleep 60; do nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader; done ) &
MON=$!
wait $(jobs -p | grep -v "^$MON$") 2>/dev/null
kill $MON 2>/dev/null
for d in "$OUT"/run/*/; do
  n=$(basename "$d")
  cp "$OUT/run/$n.out" "$d/stdout.txt" 2>/dev/null
  tar -C "$OUT/run" -czf "$OUT/$n.tar.gz" "$n"
done
tail -n 3 "$OUT"/run/*.out
rm -rf "$OUT/run"
ls -la "$OUT"
