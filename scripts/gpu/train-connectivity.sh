#!/usr/bin/env bash
# How builtin:berea got its connectivity term (session 3, CPU only): two fine-tuning stages of the H200 weights
# (git b1a7092:models/berea) with scripts/gpu/train_torch.py --conn-weight 2 (transport_loss.py: the pore phase's
# diffusive flux per axis, soft conductivity, solid 0.02, log of the batch mean; one axis per step). One torch
# thread on a shared 2-core VM: 751 iterations in 25 min, then 151 in 5 min (the best held-out validation score
# of a 40-min run). Iteration counts make it repeatable; the noise of the feeder thread's crops is seeded.
#   bash scripts/gpu/train-connectivity.sh <outDir>
# Needs .gpu/data from `npx tsx scripts/gpu/export-data.ts` and Debian's python3-torch.
set -eu
OUT=${1:?out dir}
mkdir -p "$OUT/init"
git show b1a7092:models/berea/config.json > "$OUT/init/config.json"
git show b1a7092:models/berea/model.safetensors > "$OUT/init/model.safetensors"
T="/usr/bin/python3 scripts/gpu/train_torch.py --name berea --data .gpu/data --validate-seconds 300 --conn-weight 2 --threads 1"
$T --init "$OUT/init" --out "$OUT/stage1" --seconds 100000 --iterations 751 --adv-start 200 --adv-ramp 200 --min-best-it 200
$T --init "$OUT/stage1/last" --out "$OUT/stage2" --seconds 100000 --iterations 151 --adv-start 100 --adv-ramp 200 --min-best-it 100
echo "model: $OUT/stage2/last (install: copy config.json and model.safetensors to models/berea)"
