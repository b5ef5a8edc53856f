#!/usr/bin/env node
// The quality protocol of the model issue (issue 5, "Quality"), reproducible across versions: 64^3 blocks from the
// region of each training volume that training never saw (config.json notes.data.heldOut), compared with what the
// models make of them. Writes one JSON file and prints markdown tables. See README "Quality protocol".
// Usage: node bench/quality.mjs [--models builtin|<dir with berea/ketton/nmc/steel>] [--blocks 16] [--pool 256]
//        [--out bench/results/quality.json] [--only berea,ketton,nmc,steel] [--seed 1] [--gen-seed 1]
//        [--draws 2000] [--steel-volumes 8] [--ssim-margin 0.01]
// Needs the built SDK (npm install / npm run build) and ../shared/data.
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as sdk from '../dist/index.js';
import { fmt, table } from './quality/lib.mjs';
import { runSections } from './quality/sections.mjs';
import { runSingle } from './quality/single.mjs';
import { runSteel } from './quality/steel.mjs';
import { warnIfStaleDist } from './stale-dist.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
warnIfStaleDist(root);
const { values: a } = parseArgs({
  options: {
    models: { type: 'string', default: 'builtin' },
    blocks: { type: 'string', default: '16' },
    pool: { type: 'string', default: '256' },
    out: { type: 'string', default: 'bench/results/quality.json' },
    only: { type: 'string', default: 'berea,ketton,nmc,steel' },
    seed: { type: 'string', default: '1' },
    'gen-seed': { type: 'string', default: '1' },
    draws: { type: 'string', default: '2000' },
    'steel-volumes': { type: 'string', default: '8' },
    'ssim-margin': { type: 'string', default: '0.01' },
  },
});
const int = (name, min) => {
  const v = Number(a[name]);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer >= ${min}, got ${a[name]}`);
  return v;
};
const blocks = int('blocks', 2);
const opts = {
  blocks, pool: int('pool', 2 * blocks), size: 64, seed: int('seed', 0), genSeed: int('gen-seed', 0), draws: int('draws', 100),
  ssimMargin: Number(a['ssim-margin']), dataRoot: (p) => (isAbsolute(p) ? p : resolve(root, p)),
  log: (s) => process.stderr.write(`${s}\n`),
};
const modelName = (name) => (a.models === 'builtin' ? `builtin:${name}` : resolve(a.models, name));
const only = new Set(a.only.split(','));

const started = performance.now();
let commit = null;
try {
  commit = execSync('git rev-parse --short HEAD', { cwd: root }).toString().trim();
} catch { /* not a checkout */ }
const result = {
  protocol: 'microrecon quality protocol (issue 5), bench/quality.mjs',
  date: new Date().toISOString(), commit, node: process.version, models: a.models,
  options: { blocks, pool: opts.pool, size: opts.size, seed: opts.seed, genSeed: opts.genSeed, draws: opts.draws, steelVolumes: int('steel-volumes', 2), ssimMargin: opts.ssimMargin },
  single: {}, sections: {}, steel: null,
};
const md = [];
const verdict = (s) => (s.pass === null ? (s.note ?? '–') : s.pass ? 'within' : `OUTSIDE${s.note ? ` (${s.note})` : ''}`);

for (const name of ['berea', 'ketton'].filter((n) => only.has(n))) {
  opts.log(`single: ${name}`);
  const r = await runSingle(sdk, modelName(name), opts);
  result.single[name] = r;
  md.push(`### ${name} (single, ${r.blocks} held-out ${r.size}³ blocks, pool ${r.poolSize}; ${r.pass ? 'PASS' : 'FAIL'})`, '',
    table(['statistic', 'generated', 'real', 'difference', '95th pct real-vs-real', 'result'],
      r.statistics.map((s) => [s.statistic + (s.realPercolating ? ` (percolating: real ${s.realPercolating}, generated ${s.generatedPercolating})` : ''),
        fmt(s.generated), fmt(s.real), fmt(s.difference), fmt(s.threshold), verdict(s)])), '');
  const m = r.inputMatters;
  md.push(`input matters (z = ${m.slices.join(',')}): generated vs own ${fmt(m.generatedVsOwn, 3)}, vs unrelated ${fmt(m.generatedVsUnrelated, 3)}; ` +
    `copy-the-input vs own ${fmt(m.copyInputVsOwn, 3)}, vs unrelated ${fmt(m.copyInputVsUnrelated, 3)}; generated vs the input slice itself ${fmt(m.generatedVsInputSlice, 3)}; margin ${fmt(m.margin, 3)} ` +
    `[${fmt(m.marginInterval95[0], 3)}, ${fmt(m.marginInterval95[1], 3)}] → ${m.pass ? 'pass' : 'FAIL'}`, '',
    `control (another real held-out set judged the same way): within in ${r.control.rowsWithin} rows` +
    `${r.control.outside.length ? ` (outside: ${r.control.outside.join(', ')})` : ''}`, '');
}

if (only.has('nmc')) {
  opts.log('sections: nmc');
  const r = await runSections(sdk, modelName('nmc'), opts);
  result.sections.nmc = r;
  md.push(`### nmc (sections, ${r.blocks} held-out ${r.size}³ blocks, SSIM 7³ uniform window, PSNR range 1; ${r.pass ? 'PASS' : 'FAIL'})`, '',
    table(['k', 'nearest SSIM', 'shape SSIM', 'model SSIM', 'nearest PSNR', 'shape PSNR', 'model PSNR', 'margin SSIM / PSNR', 'better in both', 'result'],
      r.rows.map((w) => [w.k, fmt(w.nearest.ssim), fmt(w.shapeBased.ssim), w.model ? fmt(w.model.ssim) : '**no model for k**',
        fmt(w.nearest.psnr, 2), fmt(w.shapeBased.psnr, 2), w.model ? fmt(w.model.psnr, 2) : '–',
        w.model ? `${fmt(w.marginVsShapeBased.ssim)} / ${fmt(w.marginVsShapeBased.psnr, 2)}` : '–', w.blocksBetterInBoth ?? '–', w.status])), '');
}

if (only.has('steel')) {
  opts.log('2D-only: steel');
  const r = await runSteel(sdk, modelName('steel'), { ...opts, volumes: result.options.steelVolumes });
  result.steel = r;
  md.push(`### steel (2D-only, ${r.volumes} generated ${r.size}³ volumes vs held-out crops of each micrograph; ${r.pass ? 'PASS' : 'FAIL'})`, '',
    table(['plane', 'statistic', 'generated', 'real', 'difference', '95th pct real-vs-real', 'result'],
      Object.entries(r.planes).flatMap(([plane, p]) => p.statistics.map((s) => [plane, s.statistic, fmt(s.generated), fmt(s.real), fmt(s.difference), fmt(s.threshold), verdict(s)]))), '', `(${r.note})`, '',
    `The micrographs themselves (planeConsistency, normalised correlation along each shared axis, lags 1..${r.imageConsistency.maxLag}; ${r.imageConsistency.consistent ? 'consistent' : 'NOT consistent: no single volume can match all three'}):`, '',
    table(['axis', 'images', 'RMS difference', 'within-image noise', 'ratio'], r.imageConsistency.axes.map((x) => [x.axis, x.images.map((i) => `${i.plane} ${i.along}`).join(' vs '), fmt(x.rms, 3), fmt(x.noise, 3), fmt(x.ratio, 1)])), '');
}

result.seconds = (performance.now() - started) / 1000;
const out = resolve(root, a.out);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 1)}\n`);
console.log(md.join('\n'));
opts.log(`wrote ${out} in ${result.seconds.toFixed(0)} s`);
