#!/usr/bin/env node
// WebGPU benchmark: the conv workloads W1–W3 of bench/conv.mjs and a full 64³ generation per shipped model, on
// webgpu next to cpu (and wasm when that backend is available), through the built package (npm run build).
// Generation also reports the fraction of equal labels webgpu vs cpu (same seed).
//
//   node bench/webgpu.mjs [--reps 3] [--size 64] [--models berea,nmc] [--no-gen]
//
// Without a GPU, Dawn runs on SwiftShader (a CPU emulation of Vulkan, set up automatically when Debian's chromium
// is installed): its times say how the kernels scale, not how fast a GPU is. Webgpu times include reading the
// result back (that is when the GPU work is known to be done). Prints a table on stderr, JSON on stdout.
import { backends, ops, tensor, Reconstructor, builtinModels, readImage, readVolume, sampleDataPath } from '../dist/index.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { warnIfStaleDist } from './stale-dist.mjs';

warnIfStaleDist(join(dirname(fileURLToPath(import.meta.url)), '..'));

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const reps = Number(opt('reps', 3));
const size = Number(opt('size', 64));
const gen = !argv.includes('--no-gen');

const list = await backends();
const names = ['cpu', 'webgpu', 'wasm'].filter((n) => list.find((b) => b.name === n)?.available);
for (const b of list.filter((s) => !s.available && ['webgpu', 'wasm'].includes(s.name))) console.error(`${b.name}: unavailable (${b.reason})`);
const webgpu = list.find((b) => b.name === 'webgpu');
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

const WORKLOADS = [
  { id: 'W1', what: 'conv3d 64->64, 32^3, k3 p1', x: [1, 64, 32, 32, 32], w: [64, 64, 3, 3, 3], op: 'conv3d' },
  { id: 'W2', what: 'conv3d 16->16, 64^3, k3 p1', x: [1, 16, 64, 64, 64], w: [16, 16, 3, 3, 3], op: 'conv3d' },
  { id: 'W3', what: 'conv2d 64->64, 128^2, k3 p1', x: [1, 64, 128, 128], w: [64, 64, 3, 3], op: 'conv2d' },
];
const rand = (shape, seed) => {
  let s = seed;
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1), shape);
};

const out = { adapter: webgpu?.details?.adapter ?? null, backends: names, workloads: {}, generation: {} };
for (const wl of WORKLOADS) {
  const x = rand(wl.x, 1), w = rand(wl.w, 2);
  const flops = 2 * wl.w.reduce((a, b) => a * b, 1) * wl.x.slice(2).reduce((a, b) => a * b, 1);
  const row = { what: wl.what, ms: {}, gflops: {} };
  for (const backend of names) {
    const times = [];
    for (let r = 0; r <= reps; r++) {
      const t = performance.now();
      const y = await ops[wl.op](x, w, { padding: 1, backend });
      await y.read();
      y.dispose();
      if (r > 0) times.push(performance.now() - t); // the first run compiles pipelines / warms caches
    }
    row.ms[backend] = +median(times).toFixed(1);
    row.gflops[backend] = +(flops / median(times) / 1e6).toFixed(2);
  }
  out.workloads[wl.id] = row;
  console.error(`${wl.id} ${wl.what.padEnd(30)} ${names.map((b) => `${b} ${row.ms[b]} ms (${row.gflops[b]} GFLOP/s)`).join('  ')}`);
}

if (gen) {
  const only = opt('models', '');
  const models = (await builtinModels()).filter((m) => !only || only.split(',').includes(m));
  for (const m of models) {
    const row = { size, ms: {} };
    let ref = null;
    for (const backend of names) {
      const rec = await Reconstructor.load(`builtin:${m}`, { backend });
      const input = rec.info.mode === 'sections'
        ? await readVolume(await sampleDataPath('nmc_sections7.tif'))
        : await readImage(await sampleDataPath(m === 'ketton' ? 'ketton_slice64.png' : 'berea_slice64.png'));
      const t = performance.now();
      const v = await rec.reconstruct(input, { size, seed: 5 });
      row.ms[backend] = Math.round(performance.now() - t);
      rec.dispose();
      if (backend === 'cpu') ref = v.data;
      else if (ref) {
        let same = 0;
        for (let i = 0; i < ref.length; i++) same += ref[i] === v.data[i] ? 1 : 0;
        row[`equal_${backend}_vs_cpu`] = +(same / ref.length).toFixed(6);
      }
    }
    out.generation[m] = row;
    console.error(`${m} ${size}³: ${names.map((b) => `${b} ${row.ms[b]} ms`).join('  ')}  ${Object.entries(row).filter(([k]) => k.startsWith('equal')).map(([k, v]) => `${k} ${(100 * v).toFixed(3)} %`).join(' ')}`);
  }
}
console.log(JSON.stringify(out, null, 2));
