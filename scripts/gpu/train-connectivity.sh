#!/usr/bin/env bash
# Fine-tunes the single-mode rocks (berea, ketton) with the connectivity term (transport_loss.py) on CPU, side by
# side, one torch thread each (what ran on the 2-core VM; on a GPU drop --threads):
#   bash scripts/gpu/train-connectivity.sh <outDir> [seconds] [conn weight]
# Needs .gpu/data from `npx tsx scripts/gpu/export-data.ts` and Debian's python3-torch. Each model writes
# <out>/conn-<name>/{best,last,log.jsonl}; best = EMA weights with the best held-out validation score, which
# includes the pore diffusivity of the generated blocks against the real ones per axis.
set -u
OUT=${1:?out dir}
SECS=${2:-4800}
W=${3:-2}
mkdir -p "$OUT"
for n in berea ketton; do
  /usr/bin/python3 scripts/gpu/train_torch.py --name "$n" --init "models/$n" --data .gpu/data --out "$OUT/conn-$n" \
    --seconds "$SECS" --validate-seconds 300 --conn-weight "$W" --threads 1 --adv-start 200 --adv-ramp 200 \
    --min-best-it 200 > "$OUT/conn-$n.out" 2>&1 &
done
wait
