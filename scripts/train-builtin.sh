#!/usr/bin/env bash
# Trains (or, run again, resumes exactly) the shipped models; each run's checkpoint, best model, metrics.jsonl
# and previews go to models-training/<name>/. Then scripts/train-builtin.sh install copies best/ to models/<name>/.
#
#   scripts/train-builtin.sh <name> [iterations] [seconds]     name: berea | ketton | nmc | steel
#   scripts/train-builtin.sh install <name>
#
# `seconds` (optional) stops the run with SIGINT after that long: the trainer finishes its iteration, saves the
# checkpoint, and the next call continues it exactly (--resume). Runs at low priority (nice 10).
# CLI: override with MICRORECON="node /path/to/bin/microrecon.js" (default: this package's bin).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
CLI=${MICRORECON:-node bin/microrecon.js}
name=${1:?usage: train-builtin.sh <berea|ketton|nmc|steel> [iterations] [seconds] | install <name>}

if [ "$name" = install ]; then
  n=${2:?install <name>}
  mkdir -p "models/$n"
  cp "models-training/$n/best/model.safetensors" "models-training/$n/best/config.json" "models/$n/"
  # README.md: what it is, how it was trained, for how long, and its held-out validation (from the run's files)
  node - "$n" <<'JS'
const fs = require('fs');
const n = process.argv[2];
const cfg = JSON.parse(fs.readFileSync(`models/${n}/config.json`, 'utf8'));
const tr = JSON.parse(fs.readFileSync(`models-training/${n}/checkpoint/training.json`, 'utf8')).state;
const val = cfg.notes?.validation ?? {};
const lines = fs.readFileSync(`models-training/${n}/metrics.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const vals = lines.filter((l) => l.type === 'val');
const fmt = (m) => Object.entries(m).map(([k, v]) => `${k} ${(+v).toFixed(4)}`).join(', ');
const d = cfg.notes?.data ?? {};
const out = `# builtin:${n}

${cfg.training === 'paired' ? 'Paired' : '2D-only'} mode, ${cfg.mode} (k = ${cfg.sections}), ${cfg.phases} phases, trained on ${cfg.size}^3 crops.
Inputs: ${cfg.mode === 'single' ? 'one slice (the slice at z = 0 of the output)' : `exactly ${cfg.sections} serial sections (a ${cfg.sections}-page TIFF), placed at round(i (size-1)/(k-1)), half to even`}; file values ${JSON.stringify(d.labels ?? null)}.

- Data: ${(d.sources ?? []).join(', ')}${d.planes ? ` (planes: ${JSON.stringify(d.planes)})` : ''}
- Held out (never trained on): ${d.heldOutNote ?? JSON.stringify(d.heldOut)}
- Training so far: ${tr.iteration} iterations, ${(tr.seconds / 3600).toFixed(2)} h wall clock on a shared 2-core CPU (nice 10, next to other jobs); skipped non-finite steps: critic ${tr.skipped.critic}, generator ${tr.skipped.generator}
- These weights: EMA weights of iteration ${val.iteration ?? '?'} (the best held-out score so far; lower is better): ${val.metrics ? fmt(val.metrics) : '-'}
- Held-out validation history (iteration: score): ${vals.map((v) => `${v.iteration}: ${v.score.toFixed(4)}`).join(', ')}
- Reproduce / continue: \`scripts/train-builtin.sh ${n} [iterations] [seconds]\` (resumes models-training/${n}/ exactly), then \`scripts/train-builtin.sh install ${n}\`.

Metrics: paired single / 2d: fractionError = mean |phase fraction difference| between the generated and real held-out
blocks (sets), s2Rmse = RMS difference of their mean S2 curves (all phases, 3 axes, lags 0..20), agreement = voxel
agreement with the real block, nearInputAgreement = the same for z = 1..4; sections: 3D SSIM (7^3 uniform window,
labels / (P-1)) and PSNR against the real held-out blocks (the untrained model = the shape-based interpolation).
These are the trainer's quick validation figures on ${cfg.notes?.trainer?.validationBlocks ?? '?'} held-out blocks, not the full quality protocol of the model issue.
`;
fs.writeFileSync(`models/${n}/README.md`, out);
JS
  echo "installed models-training/$n/best -> models/$n (README.md written from the run's metrics)"
  exit 0
fi

out=models-training/$name
mkdir -p "$out"
cfg=$out/train-config.json
case $name in
  berea|ketton)
    # paired, single slice -> volume, 2 phases, 32^3 crops (cheap steps on 2 CPU cores; larger outputs are tiled
    # and continued along depth by the Reconstructor)
    [ "$name" = berea ] && data=$DATA/berea/berea.tif || data=$DATA/ketton/ketton_train.tif
    cat > "$cfg" <<'JSON'
{ "config": { "optim": { "batchSize": 2, "lrG": 0.0005, "lrD": 0.0001, "emaDecay": 0.995, "criticSteps": 1, "gradClip": 5 },
              "loss": { "advWeight": 0.01, "l1Weight": 1, "gpLambda": 10, "drift": 0.001 } },
  "trainer": { "advStartIterations": 300, "advRampIterations": 1000, "ceWeight": 0.5, "pfWeight": 5, "depthDecay": 8,
               "validateEvery": 100, "validationBlocks": 8, "checkpointEvery": 100, "checkpointSeconds": 240 } }
JSON
    args=(--data "$data" --mode paired --size 32 --sections 1);;
  nmc)
    # paired, k = 7 serial sections, 3 phases, 64^3 (the section spacing of the quality protocol); starts at the
    # shape-based interpolation and learns a correction; the adversarial term stays off until iteration 3000
    data=$DATA/nmc/nmc_train.tif
    cat > "$cfg" <<'JSON'
{ "config": { "optim": { "batchSize": 2, "lrG": 0.0002, "lrD": 0.0001, "emaDecay": 0.99, "criticSteps": 1, "gradClip": 5 },
              "loss": { "advWeight": 0.005, "l1Weight": 1, "gpLambda": 10, "drift": 0.001 } },
  "trainer": { "advStartIterations": 3000, "advRampIterations": 2000, "ceWeight": 0.5, "pfWeight": 2,
               "validateEvery": 50, "validationBlocks": 4, "checkpointEvery": 50, "checkpointSeconds": 240 } }
JSON
    args=(--data "$data" --mode paired --size 64 --sections 7);;
  steel)
    # 2D-only: one micrograph per plane (greyscale, segmented by Otsu's threshold); planes from the names
    data=$DATA/micrographs/SUS_XY.png,$DATA/micrographs/SUS_XZ.png,$DATA/micrographs/SUS_YZ90R.png
    cat > "$cfg" <<'JSON'
{ "config": { "optim": { "batchSize": 2, "lrG": 0.0005, "lrD": 0.0001, "emaDecay": 0.995, "criticSteps": 1, "gradClip": 5 },
              "loss": { "advWeight": 0.05, "l1Weight": 1, "gpLambda": 10, "drift": 0.001 } },
  "trainer": { "advStartIterations": 100, "advRampIterations": 500, "pfWeight": 5,
               "validateEvery": 100, "validationBlocks": 4, "checkpointEvery": 100, "checkpointSeconds": 240 } }
JSON
    args=(--data "$data" --mode 2d --size 32);;
  *) echo "unknown model $name (berea, ketton, nmc, steel)" >&2; exit 1;;
esac
iters=${2:-100000}
resume=()
[ -f "$out/checkpoint/training.json" ] || [ -f "$out/checkpoint.old/training.json" ] && resume=(--resume)
cmd=(nice -n 10 $CLI train "${args[@]}" --config "$cfg" --iterations "$iters" --out "$out" --quiet "${resume[@]}")
echo "$(date -Is) ${cmd[*]}" >> "$out/commands.log"
if [ -n "${3:-}" ]; then exec timeout -s INT -k 120 "$3" "${cmd[@]}"; else exec "${cmd[@]}"; fi
