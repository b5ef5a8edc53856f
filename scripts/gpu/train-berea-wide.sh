#!/usr/bin/env bash
# The 64-wide berea fine-tune of sessions 3-4 (CPU; not shipped: seed-1 protocol 11/11 rows with 64² tiles, the
# selection positions --seed 7 7/11; README "Quality protocol"). From the shipped weights: stage A, the connectivity
# term on [32, 64, 64] crops (365 iterations); stage B, the resistance target on a flux closer to the labels plus
# the correlation term (100 iterations). Two torch threads on a shared 2-core VM: ≈ 0.2-0.25 it/s, 40 min in all.
# The config written says "inference": {"tile": 64}, so the Reconstructor runs it with 64² tiles.
#   bash scripts/gpu/train-berea-wide.sh <outDir>        then: SEED=7 / 1 with bench/quality.mjs --models <dir>
# Needs .gpu/data from `npx tsx scripts/gpu/export-data.ts` and Debian's python3-torch. On a GPU drop --threads and
# raise the iterations (the run to try next: stage B for thousands of iterations with a surface-preserving term).
set -eu
OUT=${1:?out dir}
T="/usr/bin/python3 scripts/gpu/train_torch.py --name berea --data .gpu/data --tile 64 --batch 4 --conn-weight 2 --threads 2 --seconds 100000 --validate-seconds 100000"
$T --init models/berea --out "$OUT/stageA" --iterations 365 --adv-start 50 --adv-ramp 100
$T --init "$OUT/stageA/last" --out "$OUT/stageB" --iterations 100 --conn-eps 0.005 --conn-temp 0.05 --conn-iters 600 \
  --conn-target-blocks 48 --conn-statistic resistance --s2-weight 0.1 --pf-weight 20 --ema 0.995 --adv-start 100 --adv-ramp 100
echo "model: $OUT/stageB/last"
