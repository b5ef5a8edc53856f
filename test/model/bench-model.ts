/**
 * Measures the model on this machine: parameter counts, per-block shapes, generator forward time for one 64^3
 * output, and one paired training iteration (batch 2: one critic step with the gradient penalty, one generator
 * step), with the time per kernel. Not part of the test suite:
 *
 *   npx tsx test/model/bench-model.ts [--reps 3] [--size 64]
 */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import '../../src/index.js';
import { resolveBackend } from '../../src/backends/registry.js';
import { tensor } from '../../src/index.js';
import {
  Adam, Ema, Random, createCritic, createGenerator, criticStepPaired, generatorStepPaired, oneHot, prepareInputs, saveModel, sectionPositions,
} from '../../src/model/index.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const REPS = arg('reps', 3);
const S = arg('size', 64);

// time per kernel, by wrapping the cpu backend's run()
const backend = (await resolveBackend('cpu', 'concat')) as unknown as { run: (...a: unknown[]) => Promise<void> };
const run = backend.run.bind(backend);
const perKernel = new Map<string, number>();
backend.run = async (...a: unknown[]) => {
  const t = performance.now();
  try {
    return await run(...a);
  } finally {
    perKernel.set(a[0] as string, (perKernel.get(a[0] as string) ?? 0) + performance.now() - t);
  }
};
const kernels = () => [...perKernel].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, ms]) => `${k} ${ms.toFixed(0)}`).join(', ');

function volume(rng: Random, P: number): Uint8Array {
  // layered random labels: enough structure for the interpolation to have work to do
  const v = new Uint8Array(S ** 3);
  const f = [rng.uniform() * 0.3, rng.uniform() * 0.3, rng.uniform() * 0.3];
  for (let i = 0; i < v.length; i++) {
    const z = Math.floor(i / (S * S)), y = Math.floor(i / S) % S, x = i % S;
    v[i] = Math.floor(((Math.sin(f[0] * x + 2 * Math.sin(f[1] * y)) + Math.cos(f[2] * z + 0.1 * x) + 2) / 4) * P) % P;
  }
  return v;
}

const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

for (const [mode, P, k] of [['single', 2, 1], ['sections', 3, 7]] as const) {
  const gen = createGenerator({ mode, size: S, phases: P, sections: k, training: 'paired' });
  const critic = createCritic(gen.config);
  const dir = join(tmpdir(), `microrecon-bench-${mode}`);
  await saveModel(dir, gen);
  console.log(`\n== ${mode} (weights in ${dir}; PyTorch on them: /usr/bin/python3 test/model/reference/generator.py --time ${dir})`);
  console.log(`== ${mode} mode, ${P} phases, k = ${k}, ${S}^3: generator ${gen.parameterCount()} parameters, 3D critic ${critic.parameterCount()}`);
  if (mode === 'single') for (const r of gen.summary()) console.log(`  ${r.name.padEnd(48)} [${r.output.join(', ')}]`.padEnd(90) + `${r.params}`);
  const rng = new Random(1);
  const vols = [volume(rng, P), volume(rng, P)];
  const secs = vols.map((v) => sectionPositions(S, k).map((z) => v.slice(z * S * S, (z + 1) * S * S)));
  let t = performance.now();
  const one = prepareInputs(gen.config, [secs[0]]);
  const prepMs = performance.now() - t;
  const fwd: number[] = [];
  await (await gen.predict(one)).dispose();
  perKernel.clear();
  for (let r = 0; r < REPS; r++) {
    t = performance.now();
    (await gen.predict(one, { noiseSeed: r })).dispose();
    fwd.push(performance.now() - t);
  }
  console.log(`forward, one ${S}^3 output: median ${median(fwd).toFixed(0)} ms (${fwd.map((x) => x.toFixed(0)).join(', ')}); input preparation ${prepMs.toFixed(0)} ms`);
  console.log(`  kernels over ${REPS} forwards (ms): ${kernels()}`);

  const inputs = prepareInputs(gen.config, secs);
  const real = tensor(Float32Array.from(vols.flatMap((v) => [...oneHot(v, P)])), [2, P, S, S, S]);
  const optG = new Adam(gen, { lr: 1e-4 }), optD = new Adam(critic, { lr: 1e-4 });
  const ema = await Ema.of(gen);
  const cfg = gen.config;
  const c: number[] = [], g: number[] = [];
  perKernel.clear();
  for (let r = 0; r < REPS + 1; r++) {
    t = performance.now();
    await criticStepPaired({ generator: gen, critic, opt: optD, inputs, real, config: cfg, rng, noiseSeed: r });
    const t1 = performance.now();
    await generatorStepPaired({ generator: gen, critic, opt: optG, ema, inputs, real, config: cfg, noiseSeed: r });
    const t2 = performance.now();
    if (r === 0) perKernel.clear();
    else {
      c.push(t1 - t);
      g.push(t2 - t1);
    }
  }
  console.log(`training iteration (batch 2, 1 critic step): median ${median(c.map((x, i) => x + g[i])).toFixed(0)} ms = critic step ${median(c).toFixed(0)} + generator step ${median(g).toFixed(0)}`);
  console.log(`  kernels over ${REPS} iterations (ms): ${kernels()}`);
  gen.dispose();
  critic.dispose();
}
