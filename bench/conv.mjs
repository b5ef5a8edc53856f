#!/usr/bin/env node
// Convolution benchmark: microrecon's native addon side by side with PyTorch CPU (bench/torch_conv.py, same
// thread count) and onnxruntime-node, in one run. Per workload the three runtimes are timed back to back, and
// the whole sequence is repeated `rounds` times, so load from other processes on a shared machine affects
// all of them alike; medians of all timed runs (reps x rounds, after warm-up) are reported.
//
//   node bench/conv.mjs [--reps 7] [--warmup 2] [--rounds 3] [--only W1,W3] [--no-torch] [--no-ort]
//
// Prints a table on stderr and one JSON object on stdout:
//   { threads, isa, peers: {...}, workloads: { W1: { gflops: {microrecon, torch, onnxruntime},
//     ratio_vs_torch, ratio_vs_ort, ms: {...} }, ... } }
// MICRORECON_THREADS caps the thread count (all runtimes use the same); MICRORECON_ISA=portable|avx2|avx512
// and MICRORECON_CONV=generic select our code paths.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { convModel } from './onnx_conv_model.mjs';
import { median, randomArray, timeIt } from './lib/timing.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

// ---- options ----------------------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const reps = Math.max(5, Number(opt('reps', 7)));
const warmup = Math.max(1, Number(opt('warmup', 2)));
const rounds = Math.max(1, Number(opt('rounds', 3)));
const only = opt('only', '') ? new Set(opt('only', '').split(',')) : null;
const useTorch = !argv.includes('--no-torch');
const useOrt = !argv.includes('--no-ort');
const log = (...a) => console.error(...a);

// ---- workloads --------------------------------------------------------------------------------------------
// kind: forward | backward_data (= convTranspose forward) | backward_weight; sizes in PyTorch terms.
const WORKLOADS = [
  { id: 'W1', what: 'conv3d 64->64, 32^3, k3 p1', kind: 'forward', N: 1, Cin: 64, Cout: 64, in: [32, 32, 32], k: [3, 3, 3], pad: 1 },
  { id: 'W2', what: 'conv3d 16->16, 64^3, k3 p1', kind: 'forward', N: 1, Cin: 16, Cout: 16, in: [64, 64, 64], k: [3, 3, 3], pad: 1 },
  { id: 'W3', what: 'conv2d 64->64, 128^2, k3 p1', kind: 'forward', N: 1, Cin: 64, Cout: 64, in: [128, 128], k: [3, 3], pad: 1 },
  { id: 'W1_bwd_data', what: 'W1 input gradient', kind: 'backward_data', N: 1, Cin: 64, Cout: 64, in: [32, 32, 32], k: [3, 3, 3], pad: 1 },
  { id: 'W1_bwd_weight', what: 'W1 weight gradient', kind: 'backward_weight', N: 1, Cin: 64, Cout: 64, in: [32, 32, 32], k: [3, 3, 3], pad: 1 },
].filter((w) => !only || only.has(w.id));

function geometry(w) {
  const nd = w.in.length;
  const stride = w.stride ?? new Array(nd).fill(1);
  const pad = typeof w.pad === 'number' ? new Array(nd).fill(w.pad) : w.pad;
  const dil = w.dil ?? new Array(nd).fill(1);
  const groups = w.groups ?? 1;
  const out = w.in.map((n, a) => Math.floor((n + 2 * pad[a] - dil[a] * (w.k[a] - 1) - 1) / stride[a]) + 1);
  const prod = (a) => a.reduce((x, y) => x * y, 1);
  const xShape = [w.N, w.Cin, ...w.in];
  const yShape = [w.N, w.Cout, ...out];
  const wShape = [w.Cout, w.Cin / groups, ...w.k];
  const flops = 2 * prod(yShape) * (w.Cin / groups) * prod(w.k);
  return { nd, stride, pad, dil, groups, out, xShape, yShape, wShape, flops, size: { x: prod(xShape), y: prod(yShape), w: prod(wShape) } };
}

// ConvParams: 23 little-endian int32 in the field order of native/core/params.h (3D; leading axes padded).
function convParams(w, g) {
  const to3 = (v, fill) => [...new Array(3 - v.length).fill(fill), ...v];
  const fields = [w.N, w.Cin, w.Cout, g.groups, ...to3(w.in, 1), ...to3(g.out, 1), ...to3(w.k, 1), ...to3(g.stride, 1),
    ...to3(g.pad, 0), ...to3(g.dil, 1), 0];
  const buf = new Uint8Array(fields.length * 4);
  const dv = new DataView(buf.buffer);
  fields.forEach((v, i) => dv.setInt32(i * 4, v, true));
  return buf;
}

// ---- microrecon -------------------------------------------------------------------------------------------
const addonPath = join(here, '..', 'build', 'Release', 'microrecon.node');
if (!existsSync(addonPath)) {
  log(`bench/conv.mjs: ${addonPath} is missing; build it with 'node scripts/build-native.mjs'`);
  process.exit(1);
}
const addon = require(addonPath);
const info = addon.info();
const threads = info.threads;

function microreconCase(w, g) {
  const params = convParams(w, g);
  const x = randomArray(g.size.x, 1), wt = randomArray(g.size.w, 2), y = randomArray(g.size.y, 3);
  if (w.kind === 'forward') return () => addon.runKernel('conv_forward', [x, wt], [y], params);
  if (w.kind === 'backward_data') return () => addon.runKernel('conv_backward_data', [y, wt], [x], params);
  return () => addon.runKernel('conv_backward_weight', [x, y], [wt], params);
}

// ---- onnxruntime ------------------------------------------------------------------------------------------
let ort = null;
let ortReason = 'disabled with --no-ort';
if (useOrt) {
  try {
    ort = require('onnxruntime-node');
    ortReason = null;
  } catch (e) {
    ortReason = `onnxruntime-node is not installed (ONNXRUNTIME_NODE_INSTALL=skip npm install): ${e.message.split('\n')[0]}`;
  }
}

async function ortCase(w, g) {
  if (w.kind === 'backward_weight') return { skip: 'onnxruntime has no weight-gradient op (inference runtime)' };
  const weight = randomArray(g.size.w, 2);
  const common = { weightShape: g.wShape, weight, strides: g.stride, pads: g.pad, dilations: g.dil, group: g.groups };
  // backward data of the conv = ConvTranspose of dy with the same weight tensor
  const model = w.kind === 'forward'
    ? convModel({ op: 'Conv', inShape: g.xShape, outShape: g.yShape, ...common })
    : convModel({ op: 'ConvTranspose', inShape: g.yShape, outShape: g.xShape, ...common });
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const shape = w.kind === 'forward' ? g.xShape : g.yShape;
  const feeds = { x: new ort.Tensor('float32', randomArray(shape.reduce((a, b) => a * b, 1), 1), shape) };
  return { run: () => session.run(feeds) };
}

// ---- PyTorch ----------------------------------------------------------------------------------------------
async function startTorch() {
  if (!useTorch) return { reason: 'disabled with --no-torch' };
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const child = spawn(python, [join(here, 'torch_conv.py'), String(threads)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const queue = [];
  const waiters = [];
  lines.on('line', (l) => (waiters.length ? waiters.shift()(l) : queue.push(l)));
  const closed = new Promise((res) => child.on('close', () => res(null)));
  child.on('error', () => {});
  const next = () => (queue.length ? Promise.resolve(queue.shift()) : Promise.race([new Promise((res) => waiters.push(res)), closed]));
  const hello = await next();
  let ready = null;
  try {
    ready = hello && JSON.parse(hello);
  } catch {}
  if (!ready || !ready.ready) {
    child.kill();
    return { reason: `PyTorch unavailable: ${ready?.error ?? `could not run ${python} bench/torch_conv.py`}` };
  }
  return {
    version: ready.torch,
    threads: ready.threads,
    async time(req) {
      child.stdin.write(JSON.stringify(req) + '\n');
      const l = await next();
      if (!l) throw new Error('torch_conv.py exited');
      const r = JSON.parse(l);
      if (r.error) throw new Error(r.error);
      return r.ms;
    },
    stop() {
      child.stdin.end();
    },
  };
}

// ---- run --------------------------------------------------------------------------------------------------
const torch = await startTorch();
if (torch.reason) log(`\n*** PyTorch is SKIPPED: ${torch.reason} ***\n`);
if (ortReason) log(`\n*** onnxruntime is SKIPPED: ${ortReason} ***\n`);

const results = {};
const samples = {};
for (let round = 0; round < rounds; ++round) {
  for (const w of WORKLOADS) {
    const g = geometry(w);
    const s = (samples[w.id] ??= { microrecon: [], torch: [], onnxruntime: [], notes: {} });
    s.microrecon.push(...(await timeIt(microreconCase(w, g), reps, warmup)));
    if (ort) {
      const c = await ortCase(w, g);
      if (c.skip) s.notes.onnxruntime = c.skip;
      else s.onnxruntime.push(...(await timeIt(c.run, reps, warmup)));
    }
    if (torch.time) {
      try {
        s.torch.push(...(await torch.time({
          kind: w.kind, N: w.N, Cin: w.Cin, Cout: w.Cout, groups: g.groups, in: w.in, k: w.k,
          stride: g.stride, pad: g.pad, dil: g.dil, warmup, reps,
        })));
      } catch (e) {
        s.notes.torch = `failed: ${e.message}`;
      }
    }
  }
}
torch.stop?.();

const round2 = (v) => (v == null ? null : Math.round(v * 100) / 100);
log(`microrecon ${info.isa} (detected ${info.detectedIsa}), ${threads} threads; median of ${reps * rounds} runs\n`);
log('workload        microrecon GFLOP/s   torch GFLOP/s   onnxruntime GFLOP/s   vs torch   vs ort');
for (const w of WORKLOADS) {
  const g = geometry(w);
  const s = samples[w.id];
  const ms = {}, gf = {};
  for (const k of ['microrecon', 'torch', 'onnxruntime']) {
    ms[k] = s[k].length ? median(s[k]) : null;
    gf[k] = ms[k] ? g.flops / (ms[k] * 1e6) : null;
  }
  results[w.id] = {
    what: w.what,
    gflops: { microrecon: round2(gf.microrecon), torch: round2(gf.torch), onnxruntime: round2(gf.onnxruntime) },
    ratio_vs_torch: gf.torch ? round2(gf.microrecon / gf.torch) : null,
    ratio_vs_ort: gf.onnxruntime ? round2(gf.microrecon / gf.onnxruntime) : null,
    ms: { microrecon: round2(ms.microrecon), torch: round2(ms.torch), onnxruntime: round2(ms.onnxruntime) },
    ...(Object.keys(s.notes).length ? { notes: s.notes } : {}),
  };
  const f = (v) => (v == null ? '-' : v.toFixed(1)).padStart(10);
  const r = results[w.id];
  log(`${w.id.padEnd(15)} ${f(gf.microrecon)} ${f(gf.torch).padStart(19)} ${f(gf.onnxruntime).padStart(19)}   ${f(r.ratio_vs_torch)} ${f(r.ratio_vs_ort)}`);
}

console.log(JSON.stringify({
  threads,
  isa: info.isa,
  reps: reps * rounds,
  peers: {
    torch: torch.version ? { version: torch.version, threads: torch.threads } : { skipped: torch.reason },
    onnxruntime: ort ? { version: ort.env?.versions?.common ?? 'unknown', threads } : { skipped: ortReason },
  },
  workloads: results,
}, null, 2));
