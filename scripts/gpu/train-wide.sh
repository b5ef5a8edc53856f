#!/usr/bin/env bash
# The 64-wide single-mode fine-tune (CPU; sessions 3-6; README "Quality protocol"). From a model's 32³ weights:
# stage A, the connectivity term on [32, 64, 64] crops (365 iterations); then one or more stages with the
# resistance target on a flux closer to the labels plus the correlation term, each starting from the previous
# stage's last weights (a fresh critic and Adam each time, so the adversarial term waits 100 iterations again).
# Two torch threads on a shared 2-core VM: ≈ 0.2-0.28 it/s.
# The config written says "inference": {"tile": 64}, so the Reconstructor runs it with 64² tiles.
#   bash scripts/gpu/train-wide.sh <name> <outDir> <stage-1 spec> [<stage-2 spec> ...]   (dirs stageA, stage1, ...)
# A stage spec is its iteration count, optionally with options after a colon, comma-separated (they come after the
# stage's base flags, and train_torch.py takes the last value of a repeated flag, so `hard` replaces eps/T/pf weight):
#   xy       --augment-xy (random swaps/flips of y and x on every crop: the rock is isotropic in the slice plane)
#   surface  --surface-weight 2 (holds the interface area the connectivity term otherwise lowers)
#   hard     the flux of the labels (straight-through gradient) with a nearly blocking solid (eps 0.001): at eps 0.005
#            the solid leaked enough to hide a 2x lateral tortuosity gap (scripts/gpu/connectivity_gap.py); plus each
#            block's argmax-like fractions against its real block's (--pf-paired --pf-sharp 0.05, weight 200)
#   quantile the connectivity term matches the distribution of the blocks' D_eff / D (sorted quantiles of 48 training
#            crops), not their mean resistance (session 9; worse on Berea: see the README)
#   continue the connectivity term on two chained depth blocks, the second from the first's generated slice as the
#            Reconstructor continues, against 59-deep target crops (--conn-continue; session 10)
#   pfchain  with continue and hard: the per-block fraction term over the whole chain against 59-deep real crops
#            (--pf-chain; the continued block's porosity drifts up otherwise)
#   depth    with continue: the per-slice phase change rate of the chain held to the rock's (--depth-weight 2;
#            without it the chained term grew a flickering band of slices before each depth-block junction)
#   seed<N>  the stage's random seed (default 1)
#   builtin:berea (sessions 4, 7-9):
#     BASE_REV=0f8b48a bash scripts/gpu/train-wide.sh berea out 100 200:xy,surface 300:xy,surface,hard 500:xy,surface,hard,seed9
#   builtin:ketton (sessions 6-7):    BASE_REV=1b2d00f bash scripts/gpu/train-wide.sh ketton out 200 200 300:xy 200:xy,surface
#   then judge with SEED=7 (selection) and 1 (report): node bench/quality.mjs --models <dir> --seed 7
# BASE_REV=<commit> starts from models/<name> as it was at that commit (the shipped ketton was replaced by the
# result of this script, so reproducing it needs the weights it started from). Needs .gpu/data from
# `npx tsx scripts/gpu/export-data.ts` and Debian's python3-torch. On a GPU drop --threads and raise the iterations.
set -eu
NAME=${1:?model name (berea, ketton)}
OUT=${2:?out dir}
shift 2
[ $# -ge 1 ] || { echo "give at least the stage-1 iteration count" >&2; exit 2; }
BASE=models/$NAME
if [ -n "${BASE_REV:-}" ]; then
  BASE=$OUT/base
  mkdir -p "$BASE"
  for f in config.json model.safetensors; do git show "$BASE_REV:models/$NAME/$f" > "$BASE/$f"; done
fi
T="/usr/bin/python3 scripts/gpu/train_torch.py --name $NAME --data .gpu/data --tile 64 --batch 4 --conn-weight 2 --threads 2 --seconds 100000 --validate-seconds 100000"
$T --init "$BASE" --out "$OUT/stageA" --iterations 365 --adv-start 50 --adv-ramp 100
PREV=$OUT/stageA
STAGE=0
for SPEC in "$@"; do
  STAGE=$((STAGE + 1))
  ITERS=${SPEC%%:*}
  EXTRA=()
  if [ "$SPEC" != "$ITERS" ]; then
    IFS=, read -r -a OPTS <<< "${SPEC#*:}"
    for o in "${OPTS[@]}"; do
      case $o in
        xy) EXTRA+=(--augment-xy) ;;
        surface) EXTRA+=(--surface-weight 2) ;;
        hard) EXTRA+=(--conn-straight-through --conn-eps 0.001 --conn-temp 0.1 --pf-weight 200 --pf-sharp 0.05 --pf-paired) ;;
        quantile) EXTRA+=(--conn-statistic quantile --conn-weight 3) ;;
        continue) EXTRA+=(--conn-continue) ;;
        pfchain) EXTRA+=(--pf-chain) ;;
        depth) EXTRA+=(--depth-weight 2) ;;
        seed[0-9]*) EXTRA+=(--seed "${o#seed}") ;;
        *) echo "unknown stage option '$o' in '$SPEC' (xy, surface, hard, quantile, continue, pfchain, depth, seed<N>)" >&2; exit 2 ;;
      esac
    done
  fi
  $T --init "$PREV/last" --out "$OUT/stage$STAGE" --iterations "$ITERS" --conn-eps 0.005 --conn-temp 0.05 --conn-iters 600 \
    --conn-target-blocks 48 --conn-statistic resistance --s2-weight 0.1 --pf-weight 20 --ema 0.995 --adv-start 100 --adv-ramp 100 \
    ${EXTRA[@]+"${EXTRA[@]}"}
  PREV=$OUT/stage$STAGE
done
echo "model: $PREV/last"
