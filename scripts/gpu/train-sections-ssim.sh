#!/usr/bin/env bash
# Second GPU pass for the nmc variants with few sections (k = 3, 5): L1/cross-entropy training lowers SSIM there
# (it blurs the planes far from any section), so these runs add the protocol's SSIM as a loss and no adversarial term.
#   bash scripts/gpu/train-sections-ssim.sh <outDir> <seconds>      (.gpu/init/nmc-k5: the first pass's best k=5)
set -u
OUT=${1:?out dir}
SECS=${2:-140}
T="${PYTHON:-python3} scripts/gpu/train_torch.py --data .gpu/data --name nmc --seconds $SECS --val-blocks 16 --validate-seconds 20 --batch 8 --ema 0.99 --adv-start 1000000000"
mkdir -p "$OUT/run"
run() { local n=$1; shift; timeout $((SECS + 40)) $T --out "$OUT/run/$n" "$@" > "$OUT/run/$n.out" 2>&1 & }
run k3-a --init models/nmc --sections 3 --ssim-weight 1 --ce-weight 0
run k3-b --init models/nmc --sections 3 --ssim-weight 2 --ce-weight 0.1 --l1-weight 0.5
run k5-a --init .gpu/init/nmc-k5 --sections 5 --ssim-weight 1 --ce-weight 0
run k5-b --init .gpu/init/nmc-k5 --sections 5 --ssim-weight 2 --ce-weight 0.1 --l1-weight 0.5
wait
for d in "$OUT"/run/*/; do n=$(basename "$d"); cp "$OUT/run/$n.out" "$d/stdout.txt"; tar -C "$OUT/run" -czf "$OUT/$n.tar.gz" "$n"; done
tail -n 2 "$OUT"/run/*.out
rm -rf "$OUT/run"
