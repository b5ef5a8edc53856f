#!/usr/bin/env node
// WebAssembly benchmark, in Node: microrecon's wasm module (wasm/dist, called through its C ABI) side by side
// with onnxruntime-web (wasm, SIMD, same thread count), @tensorflow/tfjs-backend-wasm (which runs one thread in
// Node) and microrecon's native cpu addon at the same thread count. Peers come from `npm run bench:wasm:setup`.
//
//   node bench/wasm.mjs [--reps 7] [--warmup 2] [--rounds 3] [--only W1,W3,G64] [--threads N] [--no-tfjs]
//
// Workloads: W1/W2 conv3d, W3 conv2d (as bench/conv.mjs), and G64: one 64³ generator pass (the shipped nmc
// model reconstructing a 64³ volume from its 7 bundled sections through the public Reconstructor API; only
// microrecon runs it: the peers would need the model exported to their formats). Rows at N threads
// (simd-threads variant, ort numThreads = N, native N; --threads 1: the simd variant). Run it once per thread
// count (onnxruntime-web cannot change its thread count within a process). Prints a table on stderr and one
// JSON object on stdout: medians of reps x rounds timed calls, the runtimes alternating call by call (fair under
// load from other processes). tfjs's conv3d is an unvectorised loop (~0.4 GFLOP/s: 16 s for W1), so it is
// timed on its own, twice.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { convModel } from './onnx_conv_model.mjs';
import { median, randomArray, timeIt } from './lib/timing.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(import.meta.url);

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const reps = Math.max(3, Number(opt('reps', 7)));
const warmup = Math.max(1, Number(opt('warmup', 2)));
const rounds = Math.max(1, Number(opt('rounds', 3)));
const threads = Math.max(1, Number(opt('threads', availableParallelism())));
const only = opt('only', '') ? new Set(opt('only', '').split(',')) : null;
const useTfjs = !argv.includes('--no-tfjs');
const log = (...a) => console.error(...a);

const CONVS = [
  { id: 'W1', what: 'conv3d 64->64, 32^3, k3 p1', C: 64, in: [32, 32, 32] },
  { id: 'W2', what: 'conv3d 16->16, 64^3, k3 p1', C: 16, in: [64, 64, 64] },
  { id: 'W3', what: 'conv2d 64->64, 128^2, k3 p1', C: 64, in: [128, 128] },
].filter((w) => !only || only.has(w.id));
const runG64 = !only || only.has('G64');

const prod = (a) => a.reduce((x, y) => x * y, 1);
function geometry(w) {
  const k = w.in.map(() => 3);
  return {
    xShape: [1, w.C, ...w.in], wShape: [w.C, w.C, ...k], yShape: [1, w.C, ...w.in],
    flops: 2 * prod(w.in) * w.C * w.C * prod(k),
  };
}
// ConvParams (native/core/params.h): 23 int32, 3D with leading axes padded.
function convParams(w) {
  const pad3 = (v, fill) => [...new Array(3 - v.length).fill(fill), ...v];
  const f = [1, w.C, w.C, 1, ...pad3(w.in, 1), ...pad3(w.in, 1), ...pad3([3, 3, 3].slice(0, w.in.length), 1), 1, 1, 1,
    ...pad3(w.in.map(() => 1), 0), 1, 1, 1, 0];
  return new Uint8Array(new Int32Array(f).buffer);
}

// ---- microrecon wasm, through the C ABI of wasm/api.cpp ------------------------------------------------------
async function loadWasm(variant, n) {
  const dir = join(root, 'wasm', 'dist');
  const m = await require(join(dir, `microrecon-${variant}.js`))({ wasmBinary: readFileSync(join(dir, `microrecon-${variant}.wasm`)) });
  for (const wk of m.PThread ? [...m.PThread.unusedWorkers, ...m.PThread.runningWorkers] : []) wk.unref?.();
  const got = m._mr_set_threads(n);
  const mem = () => (m.wasmMemory ? m.wasmMemory.buffer : m.HEAPU8.buffer);
  const upload = (a) => {
    const h = m._mr_alloc(a.length);
    new Float32Array(mem(), m._mr_data(h) >>> 0, a.length).set(a);
    return h;
  };
  const run = (kernel, ins, outs, params) => {
    const name = new TextEncoder().encode(`${kernel}\0`);
    new Uint8Array(mem(), m._mr_arg_name() >>> 0, name.length).set(name);
    new Int32Array(mem(), m._mr_arg_inputs() >>> 0, ins.length).set(ins);
    new Int32Array(mem(), m._mr_arg_outputs() >>> 0, outs.length).set(outs);
    new Uint8Array(mem(), m._mr_arg_params() >>> 0, params.length).set(params);
    if (m._mr_run(ins.length, outs.length, params.length)) throw new Error(m.UTF8ToString(m._mr_last_error()));
  };
  return { threads: got, upload, run, alloc: (n) => m._mr_alloc(n) };
}

// ---- peers ---------------------------------------------------------------------------------------------------
let ort = null, ortReason = null;
try {
  ort = await import('onnxruntime-web');
} catch (e) {
  ortReason = `onnxruntime-web is not installed (npm run bench:wasm:setup): ${e.message.split('\n')[0]}`;
}
let tf = null, tfReason = useTfjs ? null : 'disabled with --no-tfjs';
if (useTfjs) {
  try {
    tf = require('@tensorflow/tfjs-core');
    require('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) throw new Error('setBackend(wasm) failed');
    await tf.ready();
  } catch (e) {
    tf = null;
    tfReason = `@tensorflow/tfjs-backend-wasm is unavailable (npm run bench:wasm:setup): ${e.message.split('\n')[0]}`;
  }
}
const addonPath = join(root, 'build', 'Release', 'microrecon.node');
const addon = existsSync(addonPath) ? require(addonPath) : null;

async function ortSession(w, g, n) {
  ort.env.wasm.numThreads = n;
  const model = convModel({ op: 'Conv', inShape: g.xShape, outShape: g.yShape, weightShape: g.wShape, weight: randomArray(prod(g.wShape), 2),
    strides: w.in.map(() => 1), pads: w.in.map(() => 1), dilations: w.in.map(() => 1), group: 1 });
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const feeds = { x: new ort.Tensor('float32', randomArray(prod(g.xShape), 1), g.xShape) };
  return () => session.run(feeds);
}

function tfjsCase(w) {
  // tfjs is channels-last: x [1, ...spatial, C], filter [...k, Cin, Cout]
  const x = tf.tensor(randomArray(prod(w.in) * w.C, 1), [1, ...w.in, w.C]);
  const f = tf.tensor(randomArray(prod(w.in.map(() => 3)) * w.C * w.C, 2), [...w.in.map(() => 3), w.C, w.C]);
  const op = w.in.length === 3 ? () => tf.conv3d(x, f, 1, 'same') : () => tf.conv2d(x, f, 1, 'same');
  return async () => {
    const y = op();
    await y.data();
    y.dispose();
  };
}

// ---- run -------------------------------------------------------------------------------------------------------
for (const r of [ortReason, tfReason]) if (r) log(`\n*** SKIPPED: ${r} ***\n`);
if (!addon) log(`\n*** native cpu SKIPPED: ${addonPath} is missing ***\n`);
// One thread count per process: onnxruntime-web fixes its thread count when it first initialises.
const modes = [{ key: `${threads}t`, n: threads, variant: threads > 1 ? 'simd-threads' : 'simd' }];
const results = { threads, rounds, reps, peers: { onnxruntimeWeb: ort ? ort.env.versions?.web ?? 'installed' : ortReason, tfjsWasm: tf ? tf.version_core : tfReason }, workloads: {} };
const samples = {};
const add = (id, key, who, ms) => ((samples[id] ??= {})[`${key} ${who}`] ??= []).push(...ms);

for (const mode of modes) {
  const wasm = await loadWasm(mode.variant, mode.n);
  if (wasm.threads !== mode.n) throw new Error(`the ${mode.variant} module runs ${wasm.threads} threads, wanted ${mode.n}`);
  if (addon) addon.setNumThreads(mode.n);
  const cases = [];
  for (const w of CONVS) {
    const g = geometry(w);
    const params = convParams(w);
    const hx = wasm.upload(randomArray(prod(g.xShape), 1)), hw = wasm.upload(randomArray(prod(g.wShape), 2)), hy = wasm.alloc(prod(g.yShape));
    const fns = { microrecon_wasm: () => wasm.run('conv_forward', [hx, hw], [hy], params) };
    if (addon) {
      const x = randomArray(prod(g.xShape), 1), wt = randomArray(prod(g.wShape), 2), y = new Float32Array(prod(g.yShape));
      fns.native_cpu = () => addon.runKernel('conv_forward', [x, wt], [y], params);
    }
    if (ort) fns.onnxruntime_web = await ortSession(w, g, mode.n);
    if (tf && w.in.length === 2) fns.tfjs_wasm = tfjsCase(w);
    cases.push({ w, g, fns });
  }
  // Runtimes alternate call by call, so load from other processes on a shared machine hits them alike.
  for (const { w, fns } of cases) {
    for (const fn of Object.values(fns)) for (let i = 0; i < warmup; ++i) await fn();
    for (let i = 0; i < reps * rounds; ++i)
      for (const [who, fn] of Object.entries(fns)) add(w.id, mode.key, who, await timeIt(fn, 1, 0));
    for (const who of Object.keys(fns)) log(`${mode.key} ${w.id} ${who}: ${median(samples[w.id][`${mode.key} ${who}`]).toFixed(1)} ms`);
  }
  // tfjs runs one thread in Node whatever is asked; its conv3d (minutes per round) is timed on its own
  if (tf)
    for (const { w } of cases.filter((c) => c.w.in.length === 3)) {
      add(w.id, mode.key, 'tfjs_wasm', await timeIt(tfjsCase(w), 2, 0));
      log(`${mode.key} ${w.id} tfjs_wasm: ${median(samples[w.id][`${mode.key} tfjs_wasm`]).toFixed(1)} ms`);
    }
}

// G64: the public API, wasm vs native cpu, at the same thread count (the SDK's wasm backend reads
// MICRORECON_THREADS; the addon is the instance loaded above, already set to `threads`).
if (runG64) {
  process.env.MICRORECON_THREADS = String(threads);
  const sdk = await import(join(root, 'dist', 'index.js'));
  const sections = await sdk.readVolume(join(root, 'data', 'nmc_sections7.tif'));
  const recs = {};
  for (const backend of ['wasm', 'cpu']) {
    if (backend === 'cpu' && !addon) continue;
    const rec = await sdk.Reconstructor.load('builtin:nmc', { backend });
    if (rec.info.size !== 64) log(`G64: the nmc model's size is ${rec.info.size}, not 64; timing a 64³ reconstruction anyway`);
    recs[backend === 'wasm' ? 'microrecon_wasm' : 'native_cpu'] = rec;
  }
  const fns = Object.entries(recs).map(([who, rec]) => [who, () => rec.reconstruct(sections, { size: 64, seed: 1 })]);
  for (const [, fn] of fns) await fn();
  for (let i = 0; i < reps; ++i) for (const [who, fn] of fns) add('G64', `${threads}t`, who, await timeIt(fn, 1, 0));
  for (const [who, rec] of Object.entries(recs)) {
    rec.dispose();
    log(`G64 ${who}: ${median(samples.G64[`${threads}t ${who}`]).toFixed(0)} ms`);
  }
}

for (const [id, rows] of Object.entries(samples)) {
  const w = CONVS.find((c) => c.id === id);
  const flops = w ? geometry(w).flops : null;
  const out = (results.workloads[id] = { what: w?.what ?? '64³ reconstruction with the nmc model (one generator pass)', ms: {}, gflops: {}, ratios: {} });
  for (const [k, ms] of Object.entries(rows)) {
    out.ms[k] = +median(ms).toFixed(2);
    if (flops) out.gflops[k] = +(flops / median(ms) / 1e6).toFixed(2);
  }
  for (const mode of modes) {
    const ours = out.ms[`${mode.key} microrecon_wasm`];
    if (!ours) continue;
    const peers = ['onnxruntime_web', 'tfjs_wasm'].map((p) => out.ms[`${mode.key} ${p}`]).filter(Boolean);
    if (peers.length) out.ratios[`${mode.key} vs fastest peer`] = +(Math.min(...peers) / ours).toFixed(2);
    if (out.ms[`${mode.key} native_cpu`]) out.ratios[`${mode.key} native_cpu / wasm time`] = +(ours / out.ms[`${mode.key} native_cpu`]).toFixed(2);
  }
}
results.moduleGzipBytes = Object.fromEntries(['plain', 'simd', 'simd-threads'].map((v) => [v,
  gzipSync(readFileSync(join(root, 'wasm', 'dist', `microrecon-${v}.wasm`)), { level: 9 }).length]));

log('\nworkload  row                        ms       GFLOP/s');
for (const [id, r] of Object.entries(results.workloads))
  for (const k of Object.keys(r.ms)) log(`${id.padEnd(9)} ${k.padEnd(26)} ${String(r.ms[k]).padStart(8)} ${String(r.gflops[k] ?? '').padStart(8)}`);
for (const [id, r] of Object.entries(results.workloads)) log(`${id}: ${JSON.stringify(r.ratios)}`);
console.log(JSON.stringify(results, null, 2));
process.exit(0);
