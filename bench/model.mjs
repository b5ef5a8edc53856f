#!/usr/bin/env node
// Model speed (issue 5, "Speed"): microrecon's generator and trainer steps side by side with PyTorch CPU float32
// (bench/torch_model.py, same weights, inputs and noise, same thread count), and whole-volume reconstruction rates.
//
//   node --import tsx bench/model.mjs [--reps 3] [--warmup 1] [--rounds 3] [--only fwd64,fwd128,train,recon]
//        [--recon berea,nmc] [--recon-size 256] [--no-torch] [--keep]
//
// Workloads (builtin:nmc = sections mode, k = 7, 3 phases, 64^3; inputs cut from ../shared/data/nmc/nmc_train.tif):
//   fwd64   generator forward, batch 1, one 64^3 output (predict: no gradient graph)
//   fwd128  generator forward, batch 1, on a 128x128 input plane: output 64x128x128 (the model's depth is 64).
//           128^3 is defined as two such forwards (the figure reported for 128^3 is 2x its median): the same network
//           work as a 128^3 output with no tile overlap. The Reconstructor instead runs overlapping 64^3 tiles.
//   train   one paired training iteration, batch 2 at 64^3: criticStepPaired (fakes without a graph, WGAN-GP with the
//           penalty by double backward, Adam, gradClip) + generatorStepPaired (adv + L1, Adam, gradClip, EMA)
//   recon   Reconstructor.reconstruct at --recon-size (256^3) for builtin:berea (single mode, 32^3 model: tiles and
//           depth continuation) and builtin:nmc (7 sections): microrecon only, one run each; PyTorch's figure is an
//           estimate = number of tiles x its median batch-1 forward of one tile (no blending, no input preparation).
// Every round runs each workload on both runtimes back to back (the order alternates between rounds), so load
// from other processes hits both alike; medians over all timed runs. Before timing, outputs are checked to agree:
// max |probability difference| < 1e-4 on fwd64/fwd128 (same explicit noise), and the first training iteration's
// losses (same weights, noise and gradient-penalty epsilon) within a relative 1e-3.
// Besides wall time, the process CPU time of each run is recorded on both sides (cpu_ms, cpu_ratio_vs_torch).
// MICRORECON_THREADS sets the thread count (PyTorch gets the same). Table on stderr, one JSON object on stdout.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadNativeBinding } from '../src/backends/native-binding.js';
import { Reconstructor, readVolume, tensor } from '../src/index.js';
import {
  Adam, Ema, Random, createCritic, criticStepPaired, generatorStepPaired, loadModel, oneHot, prepareInputs, sectionPositions,
  writeSafetensors,
} from '../src/model/index.js';
import { median } from './lib/timing.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const reps = Math.max(1, Number(opt('reps', 3)));
const warmup = Math.max(0, Number(opt('warmup', 1)));
const rounds = Math.max(1, Number(opt('rounds', 3)));
const only = new Set(opt('only', 'fwd64,fwd128,train,recon').split(','));
const reconModels = opt('recon', 'berea,nmc').split(',').filter(Boolean);
const reconSize = Number(opt('recon-size', 256));
const useTorch = !argv.includes('--no-torch');
const log = (...a) => console.error(...a);
const now = () => performance.now();

const info = (await loadNativeBinding()).info();
const threads = info.threads;
const work = mkdtempSync(join(tmpdir(), 'microrecon-bench-model-'));
// --keep leaves the inputs, weights and noise there (for profiling either side by hand)
if (argv.includes('--keep')) log(`inputs kept in ${work}`);
else process.on('exit', () => rmSync(work, { recursive: true, force: true }));

// ---- PyTorch server ---------------------------------------------------------------------------------------
async function startTorch() {
  if (!useTorch) return { reason: 'disabled with --no-torch' };
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const child = spawn(python, [join(here, 'torch_model.py'), String(threads)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const queue = [], waiters = [];
  lines.on('line', (l) => (waiters.length ? waiters.shift()(l) : queue.push(l)));
  const closed = new Promise((res) => child.on('close', () => res(null)));
  child.on('error', () => {});
  const next = () => (queue.length ? Promise.resolve(queue.shift()) : Promise.race([new Promise((res) => waiters.push(res)), closed]));
  let ready = null;
  try {
    ready = JSON.parse(await next());
  } catch {}
  if (!ready?.ready) {
    child.kill();
    return { reason: `PyTorch unavailable: ${ready?.error ?? `could not run ${python} bench/torch_model.py`}` };
  }
  return {
    version: ready.torch,
    threads: ready.threads,
    async call(req) {
      child.stdin.write(JSON.stringify(req) + '\n');
      const l = await next();
      if (!l) throw new Error('torch_model.py exited');
      const r = JSON.parse(l);
      if (r.error) throw new Error(r.error);
      return r;
    },
    stop: () => child.stdin.end(),
  };
}

// ---- inputs (real NMC data) ---------------------------------------------------------------------------------
const nmcDir = join(root, 'models', 'nmc');
const nmcVol = await readVolume(join(root, '..', 'shared', 'data', 'nmc', 'nmc_train.tif'));
const [VD, VH, VW] = nmcVol.shape;
/** the label plane z of the NMC volume, cropped to h x w at (y0, x0) */
const plane = (v, z, h, w, y0 = 0, x0 = 0) => {
  const [, H, W] = v.shape;
  const out = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) out.set(v.data.subarray(z * H * W + (y0 + y) * W + x0, z * H * W + (y0 + y) * W + x0 + w), y * w);
  return out;
};
const block = (z0, y0, x0, S) => {
  const out = new Uint8Array(S ** 3);
  for (let z = 0; z < S; z++) out.set(plane(nmcVol, z0 + z, S, S, y0, x0), z * S * S);
  return out;
};

const gen = await loadModel(nmcDir);
const cfg = gen.config;
const S = cfg.size, P = cfg.phases, k = cfg.sections;

async function host(t) {
  return { shape: [...t.shape], data: await t.read() };
}
/** inputs + explicit noise for an H x W plane, written for PyTorch as well */
async function forwardCase(name, H) {
  const secs = sectionPositions(S, k).map((z) => plane(nmcVol, 10 + z, H, H, 20, 20));
  const inp = prepareInputs(cfg, [secs], { height: H, width: H });
  const noise = gen.makeNoise(1, H, H, 7);
  const file = join(work, `${name}.safetensors`);
  await writeSafetensors(file, {
    slices: await host(inp.slices), baseline: await host(inp.baseline), 'noise.map': await host(noise.map), 'noise.volume': await host(noise.volume),
  });
  return { name, H, inp, noise, file, voxels: S * H * H, run: async () => (await gen.predict(inp, { noise })).dispose() };
}

const cases = {};
if (only.has('fwd64')) cases.fwd64 = await forwardCase('fwd64', 64);
if (only.has('fwd128')) cases.fwd128 = await forwardCase('fwd128', 128);

let trainCase = null;
if (only.has('train')) {
  // a separate generator, so that training does not change the weights the forward cases use
  const tg = await loadModel(nmcDir);
  const critic = createCritic(tg.config);
  const o = tg.config.optim;
  const vols = [block(0, 0, 0, S), block(40, 150, 150, S)];
  const inputs = prepareInputs(tg.config, vols.map((v) => sectionPositions(S, k).map((z) => v.subarray(z * S * S, (z + 1) * S * S))));
  const real = tensor(Float32Array.from(vols.flatMap((v) => [...oneHot(v, P)])), [2, P, S, S, S]);
  const noiseSeed = 5, epsSeed = 11;
  const noise = tg.makeNoise(2, S, S, noiseSeed);
  const file = join(work, 'train.safetensors');
  const criticFile = join(work, 'critic.safetensors');
  await writeSafetensors(criticFile, await critic.stateDict());
  await writeSafetensors(file, {
    slices: await host(inputs.slices), baseline: await host(inputs.baseline), real: await host(real),
    'noise.map': await host(noise.map), 'noise.volume': await host(noise.volume),
    // the epsilon criticStepPaired draws from a fresh Random(epsSeed): the same every iteration, on both sides
    eps: { shape: [2], data: new Random(epsSeed).uniformArray(2) },
  });
  noise.map.dispose();
  noise.volume.dispose();
  const optG = new Adam(tg, { lr: o.lrG, betas: o.betas, eps: o.eps });
  const optD = new Adam(critic, { lr: o.lrD, betas: o.betas, eps: o.eps });
  const ema = await Ema.of(tg, o.emaDecay);
  trainCase = {
    file, criticFile,
    async iteration() {
      const t0 = now();
      const c = await criticStepPaired({ generator: tg, critic, opt: optD, inputs, real, config: tg.config, rng: new Random(epsSeed), noiseSeed });
      const t1 = now();
      const g = await generatorStepPaired({ generator: tg, critic, opt: optG, ema, inputs, real, config: tg.config, noiseSeed });
      const t2 = now();
      return { ms: [t1 - t0, t2 - t1], losses: { critic: c.loss, gp: c.gp, wasserstein: c.wasserstein, generator: g.loss, adv: g.adv, l1: g.l1 } };
    },
  };
}

const torch = await startTorch();
if (torch.reason) log(`\n*** PyTorch is SKIPPED: ${torch.reason} ***\n`);
log(`microrecon ${info.isa}, ${threads} threads${torch.version ? `; PyTorch ${torch.version}, ${torch.threads} threads` : ''}; load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);

// ---- agreement checks (before timing: the forward cases' weights never change) ----------------------------
const checks = {};
if (torch.call) {
  for (const c of Object.values(cases)) {
    const out = join(work, `${c.name}.probs.f32`);
    await torch.call({ op: 'forward', model: nmcDir, inputs: c.file, out, warmup: 0, reps: 1 });
    const p = await gen.predict(c.inp, { noise: c.noise });
    const ours = await p.read();
    p.dispose();
    const b = readFileSync(out);
    const theirs = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    if (theirs.length !== ours.length) throw new Error(`${c.name}: PyTorch gave ${theirs.length} probabilities, microrecon ${ours.length}`);
    let max = 0;
    for (let i = 0; i < ours.length; i++) max = Math.max(max, Math.abs(ours[i] - theirs[i]));
    checks[c.name] = { maxAbsProbDiff: max, ok: max < 1e-4 };
    log(`check ${c.name}: max |p_microrecon - p_torch| = ${max.toExponential(2)} ${max < 1e-4 ? 'ok' : 'FAILED (> 1e-4)'}`);
  }
}

// ---- timed rounds ------------------------------------------------------------------------------------------
const samples = {};
const add = (id, who, ms, cpu) => {
  const s = (samples[id] ??= { microrecon: [], torch: [], cpu: { microrecon: [], torch: [] }, critic: { microrecon: [], torch: [] }, generator: { microrecon: [], torch: [] } });
  s[who].push(...ms);
  s.cpu[who].push(...cpu);
};
// process CPU time (all threads): what the work costs when the cores are shared, spin-waits included
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
async function ours(id) {
  if (id === 'train') {
    for (let i = 0; i < warmup; i++) await trainCase.iteration();
    for (let i = 0; i < reps; i++) {
      const c0 = cpuNow();
      const { ms } = await trainCase.iteration();
      add(id, 'microrecon', [ms[0] + ms[1]], [cpuNow() - c0]);
      samples[id].critic.microrecon.push(ms[0]);
      samples[id].generator.microrecon.push(ms[1]);
    }
    return;
  }
  const c = cases[id];
  for (let i = 0; i < warmup; i++) await c.run();
  for (let i = 0; i < reps; i++) {
    const c0 = cpuNow(), t = now();
    await c.run();
    add(id, 'microrecon', [now() - t], [cpuNow() - c0]);
  }
}
async function theirs(id, first) {
  if (!torch.call) return;
  if (id === 'train') {
    const r = await torch.call({ op: 'train', key: 'nmc', model: nmcDir, critic: trainCase.criticFile, inputs: trainCase.file, check: first, warmup, reps });
    add(id, 'torch', r.ms.map(([c, g]) => c + g), r.cpu);
    samples[id].critic.torch.push(...r.ms.map((m) => m[0]));
    samples[id].generator.torch.push(...r.ms.map((m) => m[1]));
    return r.losses;
  }
  const r = await torch.call({ op: 'forward', model: nmcDir, inputs: cases[id].file, warmup, reps });
  add(id, 'torch', r.ms, r.cpu);
}

const ids = ['fwd64', 'fwd128', 'train'].filter((id) => (id === 'train' ? trainCase : cases[id]));
for (let round = 0; round < rounds; round++) {
  for (const id of ids) {
    if (id === 'train' && round === 0) {
      // the first iteration on both sides starts from the same weights: compare its losses
      const mine = (await trainCase.iteration()).losses;
      const torchLosses = await theirs(id, true);
      if (torchLosses) {
        const rel = Object.fromEntries(Object.keys(mine).map((n) => [n, Math.abs(mine[n] - torchLosses[n]) / Math.max(1e-6, Math.abs(torchLosses[n]))]));
        const worst = Math.max(...Object.values(rel));
        checks.train = { microrecon: mine, torch: torchLosses, maxRelLossDiff: worst, ok: worst < 1e-3 };
        log(`check train: first-iteration losses, max relative difference ${worst.toExponential(2)} ${worst < 1e-3 ? 'ok' : 'FAILED (> 1e-3)'}`);
      }
      await ours(id);
      continue;
    }
    if (round % 2) {
      await theirs(id, false);
      await ours(id);
    } else {
      await ours(id);
      await theirs(id, false);
    }
  }
  log(`round ${round + 1}/${rounds} done`);
}

const r1 = (v) => (v == null ? null : Math.round(v * 10) / 10);
const r2 = (v) => (v == null ? null : Math.round(v * 100) / 100);
const results = {};
for (const id of ids) {
  const s = samples[id];
  const m = median(s.microrecon), t = median(s.torch);
  const cm = median(s.cpu.microrecon), ct = median(s.cpu.torch);
  const vox = id === 'train' ? null : cases[id].voxels;
  results[id] = {
    ms: { microrecon: r1(m), torch: r1(t) },
    ratio_vs_torch: t ? r2(t / m) : null,
    cpu_ms: { microrecon: r1(cm), torch: r1(ct) },
    cpu_ratio_vs_torch: ct ? r2(ct / cm) : null,
    ...(vox ? { voxels_per_s: { microrecon: Math.round((vox / m) * 1e3), torch: t ? Math.round((vox / t) * 1e3) : null } } : {}),
    ...(id === 'fwd128' ? { ms_128cubed: { microrecon: r1(2 * m), torch: r1(t && 2 * t) } } : {}),
    ...(id === 'train' ? {
      critic_ms: { microrecon: r1(median(s.critic.microrecon)), torch: r1(median(s.critic.torch)) },
      generator_ms: { microrecon: r1(median(s.generator.microrecon)), torch: r1(median(s.generator.torch)) },
    } : {}),
    runs: s.microrecon.length,
  };
}

// ---- whole-volume reconstruction ----------------------------------------------------------------------------
const recon = {};
if (only.has('recon')) {
  for (const name of reconModels) {
    const rec = await Reconstructor.load(`builtin:${name}`, { backend: 'cpu' });
    const N = reconSize;
    let input;
    if (name === 'nmc') {
      // 7 sections spread over the training half's 125 slices (a speed input; the depth spacing does not change the work)
      const zs = sectionPositions(VD, rec.info.k);
      input = zs.map((z) => ({ shape: [1, N, N], data: plane(nmcVol, z, N, N, 0, 0) }));
    } else {
      const v = await readVolume(join(root, '..', 'shared', 'data', name, `${name}.tif`));
      const [, H, W] = v.shape;
      input = { shape: [1, N, N], data: plane(v, 0, N, N, (H - N) >> 1, (W - N) >> 1), ...(v.labels ? { labels: v.labels } : {}) };
    }
    // time spent in the generator inside reconstruct (the rest: input preparation, blending, argmax)
    const proto = Object.getPrototypeOf(gen);
    const predict = proto.predict;
    let calls = 0, tiles = 0, inModel = 0;
    proto.predict = async function (...a) {
      const t0 = now();
      try {
        return await predict.apply(this, a);
      } finally {
        inModel += now() - t0;
        calls++;
      }
    };
    const t = now();
    let out;
    try {
      out = await rec.reconstruct(input, { size: N, seed: 1, onProgress: () => tiles++ });
    } finally {
      proto.predict = predict;
    }
    const ms = now() - t;
    if (out.data.length !== N ** 3) throw new Error(`${name}: reconstruct gave ${out.data.length} voxels`);
    // one tile forward on both runtimes (the same model and tile size the Reconstructor runs), for the model's share
    const T = rec.info.size;
    const mdir = rec.info.dir;
    const tg = await loadModel(mdir);
    const tsecs = sectionPositions(T, tg.config.sections).map((z) => plane(nmcVol, z, T, T));
    const tp = prepareInputs(tg.config, [name === 'nmc' ? tsecs : [tsecs[0].map((x) => Math.min(x, tg.config.phases - 1))]]);
    const tn = tg.makeNoise(1, T, T, 3);
    const tfile = join(work, `tile-${name}.safetensors`);
    await writeSafetensors(tfile, {
      slices: await host(tp.slices), ...(tp.baseline ? { baseline: await host(tp.baseline) } : {}),
      ...(tn.map ? { 'noise.map': await host(tn.map) } : {}), ...(tn.volume ? { 'noise.volume': await host(tn.volume) } : {}),
    });
    // batch-1 tile forwards, interleaved round by round like the workloads above
    const tileMs = [], torchMs = [];
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < warmup + reps; i++) {
        const t0 = now();
        (await tg.predict(tp, { noise: tn })).dispose();
        if (i >= warmup) tileMs.push(now() - t0);
      }
      if (torch.call) torchMs.push(...(await torch.call({ op: 'forward', model: mdir, inputs: tfile, warmup, reps })).ms);
    }
    const torchTile = median(torchMs);
    tg.dispose();
    rec.dispose();
    const tile = median(tileMs);
    recon[name] = {
      size: N, mode: rec.info.mode, tile: T, tiles, generator_calls: calls, s: r2(ms / 1e3),
      voxels_per_s: Math.round((N ** 3 / ms) * 1e3),
      model_share: r2(inModel / ms),
      tile_forward_ms: { microrecon: r1(tile), torch: r1(torchTile) },
      torch_estimate: torchTile ? { s: r2((tiles * torchTile) / 1e3), voxels_per_s: Math.round((N ** 3 / (tiles * torchTile)) * 1e3), note: 'tiles x median batch-1 tile forward; no blending or input preparation' } : null,
    };
    log(`recon ${name} ${N}^3: ${(ms / 1e3).toFixed(1)} s, ${tiles} tiles of ${T}^3 in ${calls} generator calls, ${(recon[name].voxels_per_s / 1e6).toFixed(2)}e6 voxels/s`);
  }
}
torch.stop?.();

// ---- report ------------------------------------------------------------------------------------------------
const f = (v, w = 10, d = 0) => (v == null ? '-' : Number(v).toFixed(d)).padStart(w);
log(`\nmedians of ${reps * rounds} runs per runtime; ratio = PyTorch time / microrecon time (> 1: microrecon faster)`);
log('workload                          microrecon ms    torch ms   ratio   microrecon vox/s   torch vox/s   CPU-ms ratio');
const label = { fwd64: 'forward 64^3 (batch 1)', fwd128: 'forward 64x128x128 (= 128^3 / 2)', train: 'training iteration (batch 2)' };
for (const id of ids) {
  const r = results[id];
  log(`${label[id].padEnd(33)} ${f(r.ms.microrecon, 13)} ${f(r.ms.torch, 11)} ${f(r.ratio_vs_torch, 7, 2)} ${f(r.voxels_per_s?.microrecon, 18)} ${f(r.voxels_per_s?.torch, 13)} ${f(r.cpu_ratio_vs_torch, 14, 2)}`);
  if (id === 'train') log(`  critic step ${r.critic_ms.microrecon} vs ${r.critic_ms.torch} ms, generator step ${r.generator_ms.microrecon} vs ${r.generator_ms.torch} ms`);
}
for (const [name, r] of Object.entries(recon))
  log(`reconstruct builtin:${name} ${r.size}^3: ${r.s} s = ${(r.voxels_per_s / 1e6).toFixed(2)}e6 voxels/s (${r.tiles} tiles of ${r.tile}^3 in ${r.generator_calls} calls, generator ${Math.round(r.model_share * 100)} % of the time)${r.torch_estimate ? `; PyTorch estimate ${r.torch_estimate.s} s` : ''}`);

console.log(JSON.stringify({
  date: new Date().toISOString(),
  threads, isa: info.isa, reps: reps * rounds,
  load_average: (await import('node:os')).loadavg().map((x) => r2(x)),
  peers: { torch: torch.version ? { version: torch.version, threads: torch.threads } : { skipped: torch.reason } },
  checks, workloads: results, reconstruct: recon,
}, null, 2));
