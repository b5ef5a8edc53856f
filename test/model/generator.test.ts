/** The generator and critics: shapes, determinism, the sections mode's start at the baseline, bad input, steps. */
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/index.js';
import {
  Adam, Ema, Graph, Random, createCritic, createGenerator, criticStep2d, criticStepPaired, generatorStep2d, generatorStepPaired,
  oneHot, prepareInputs, probabilitiesToLabels, resolveConfig, sectionPositions, shapeBasedInterpolation, volumeSlices, type Axis, type Critic,
} from '../../src/model/index.js';

/** Blobby random labels [D, H, W] (box-smoothed noise, thresholded into P phases). */
function blobs(rng: Random, D: number, H: number, W: number, P: number): Uint8Array {
  const n = rng.normalArray(D * H * W);
  const s = new Float32Array(n.length);
  const r = 2;
  for (let z = 0; z < D; z++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    let a = 0;
    for (let dz = -r; dz <= r; dz++) for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++)
      a += n[(((z + dz + D) % D) * H + ((y + dy + H) % H)) * W + ((x + dx + W) % W)];
    s[(z * H + y) * W + x] = a;
  }
  const sorted = Float32Array.from(s).sort();
  const cuts = Array.from({ length: P - 1 }, (_, k) => sorted[Math.floor(((k + 1) * s.length) / P)]);
  return Uint8Array.from(s, (v) => cuts.filter((c) => v >= c).length);
}

const sectionsOf = (vol: Uint8Array, S: number, k: number) => sectionPositions(S, k).map((z) => vol.slice(z * S * S, (z + 1) * S * S));

const tiny = (over: object = {}) => resolveConfig({
  size: 16, phases: 2, seed: 3,
  generator: { encoderChannels: [4, 8], decoderChannels: [3, 6], headChannels: 2, noiseChannels: 2, noise3dChannels: 2, cbamKernel: 3 },
  critic: { channels: [4, 8] }, optim: { batchSize: 2 },
  ...over,
});

describe('generator', () => {
  it('default architecture: parameter count and output shape (size 32, both modes)', async () => {
    for (const mode of ['single', 'sections'] as const) {
      const gen = createGenerator({ mode, size: 32, phases: 3, sections: mode === 'single' ? 1 : 5 });
      expect(gen.parameterCount()).toBeGreaterThan(100_000);
      const rng = new Random(1);
      const inputs = prepareInputs(gen.config, [sectionsOf(blobs(rng, 32, 32, 32, 3), 32, gen.config.sections)]);
      const p = await gen.predict(inputs);
      expect(p.shape).toEqual([1, 3, 32, 32, 32]);
      const v = await p.read();
      // probabilities: finite, summing to 1 over the phases
      for (let i = 0; i < 32 ** 3; i += 997) expect(v[i] + v[i + 32 ** 3] + v[i + 2 * 32 ** 3]).toBeCloseTo(1, 5);
      p.dispose();
      inputs.slices.dispose();
      inputs.baseline?.dispose();
      gen.dispose();
    }
  });

  it('height and width may differ from the depth (multiples of 2^(levels-1))', async () => {
    const gen = createGenerator(tiny());
    const inputs = prepareInputs(gen.config, [[new Uint8Array(8 * 24)]], { height: 8, width: 24 });
    const p = await gen.predict(inputs);
    expect(p.shape).toEqual([1, 2, 16, 8, 24]);
    p.dispose();
    gen.dispose();
  });

  it('same weights seed and noise seed -> identical output; another noise seed -> a different one', async () => {
    const a = createGenerator(tiny()), b = createGenerator(tiny());
    const vol = blobs(new Random(2), 16, 16, 16, 2);
    const inputs = prepareInputs(a.config, [sectionsOf(vol, 16, 1)]);
    const [pa, pb, pc] = [await a.predict(inputs, { noiseSeed: 7 }), await b.predict(inputs, { noiseSeed: 7 }), await a.predict(inputs, { noiseSeed: 8 })];
    const [va, vb, vc] = [await pa.read(), await pb.read(), await pc.read()];
    expect(va).toEqual(vb);
    let diff = 0;
    for (let i = 0; i < va.length; i++) diff = Math.max(diff, Math.abs(va[i] - vc[i]));
    expect(diff).toBeGreaterThan(1e-4);
    const c = createGenerator(tiny({ seed: 4 }));
    expect(await c.parameters()[0].read()).not.toEqual(await a.parameters()[0].read());
    [pa, pb, pc].forEach((t) => t.dispose());
    [a, b, c].forEach((g) => g.dispose());
  });

  it('sections mode starts exactly at shape-based interpolation (zero-initialised correction)', async () => {
    for (const P of [2, 3]) {
      const cfg = tiny({ mode: 'sections', sections: 5, phases: P });
      const gen = createGenerator(cfg);
      const vol = blobs(new Random(P), 16, 16, 16, P);
      const secs = sectionsOf(vol, 16, 5);
      const p = await gen.predict(prepareInputs(cfg, [secs]));
      const got = await probabilitiesToLabels(p);
      const n = 16 ** 3;
      const want = shapeBasedInterpolation(secs, { phases: P, depth: 16, height: 16, width: 16 });
      let same = 0;
      for (let i = 0; i < n; i++) if (got[i] === want[i]) same++;
      expect(same / n).toBeGreaterThan(0.999);
      p.dispose();
      gen.dispose();
    }
  });

  it('bad input: typed errors naming what is wrong', async () => {
    const gen = createGenerator(tiny());
    const g = new Graph({ grad: false });
    await expect(gen.forward({ slices: tensor(new Float32Array(3 * 256), [1, 3, 16, 16]) }, { graph: g })).rejects.toThrow(/1 section\(s\) x 2 phases/);
    await expect(gen.forward({ slices: tensor(new Float32Array(2 * 15 * 16), [1, 2, 15, 16]) }, { graph: g })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(() => prepareInputs(gen.config, [[new Uint8Array(256), new Uint8Array(256)]])).toThrow(/takes 1/);
    expect(() => prepareInputs(gen.config, [[new Uint8Array(256).fill(2)]])).toThrow(/label 2/);
    const sec = createGenerator(tiny({ mode: 'sections', sections: 3 }));
    await expect(sec.forward({ slices: tensor(new Float32Array(6 * 256), [1, 6, 16, 16]) }, { graph: g })).rejects.toThrow(/baseline/);
    expect(() => resolveConfig({ size: 20, generator: { encoderChannels: [4, 8, 8], decoderChannels: [2, 4, 8] } })).toThrow(/divisible/);
    expect(() => resolveConfig({ mode: 'sections', sections: 1 })).toThrow(/at least 2/);
    expect(() => resolveConfig({ phases: 1 })).toThrow(/phases/);
    g.dispose();
    gen.dispose();
    sec.dispose();
  });
});

describe('critics', () => {
  it('3D critic scores volumes; 2D critic scores slices across each axis', async () => {
    const cfg = tiny();
    const c3 = createCritic(cfg, { nd: 3 }), c2 = createCritic(cfg, { nd: 2 });
    const g = new Graph({ grad: false });
    const v = g.input(tensor(new Random(1).uniformArray(2 * 2 * 16 ** 3), [2, 2, 16, 16, 16]), { own: true });
    expect((await c3.forward(v)).shape).toEqual([2]);
    for (const a of ['x', 'y', 'z'] as const) {
      const s = await volumeSlices(v, a);
      expect(s.shape).toEqual([32, 2, 16, 16]);
      expect((await c2.forward(s)).shape).toEqual([32]);
    }
    await expect(c3.forward(g.input(tensor(new Float32Array(2 * 8 ** 3), [1, 2, 8, 8, 8]), { own: true }))).rejects.toThrow(/critic: input/);
    g.dispose();
    c3.dispose();
    c2.dispose();
  });
});

describe('training steps', () => {
  it('paired mode: critic and generator updates stay finite, apply, and move the EMA', async () => {
    const cfg = tiny({ mode: 'sections', sections: 3, training: 'paired', optim: { batchSize: 2, lrG: 1e-3, lrD: 1e-3 } });
    const gen = createGenerator(cfg), critic = createCritic(cfg);
    const optG = new Adam(gen, { lr: cfg.optim.lrG, betas: cfg.optim.betas }), optD = new Adam(critic, { lr: cfg.optim.lrD, betas: cfg.optim.betas });
    const ema = await Ema.of(gen, 0.9);
    const rng = new Random(5);
    const vols = [blobs(rng, 16, 16, 16, 2), blobs(rng, 16, 16, 16, 2)];
    const inputs = prepareInputs(cfg, vols.map((v) => sectionsOf(v, 16, 3)));
    const real = tensor(Float32Array.from(vols.flatMap((v) => [...oneHot(v, 2)])), [2, 2, 16, 16, 16]);
    const l1s: number[] = [];
    for (let it = 0; it < 3; it++) {
      const c = await criticStepPaired({ generator: gen, critic, opt: optD, inputs, real, config: cfg, rng, noiseSeed: it });
      expect(c.applied && Number.isFinite(c.loss) && c.gp >= 0).toBe(true);
      const s = await generatorStepPaired({ generator: gen, critic, opt: optG, ema, inputs, real, config: cfg, noiseSeed: it });
      expect(s.applied && Number.isFinite(s.loss)).toBe(true);
      l1s.push(s.l1);
    }
    expect(ema.updates).toBe(3);
    expect(optG.stepCount).toBe(3);
    expect(l1s[2]).toBeLessThan(l1s[0]);
    gen.dispose();
    critic.dispose();
  });

  it('2D mode: three slice critics and the generator update', async () => {
    const cfg = tiny({ training: '2d' });
    const gen = createGenerator(cfg);
    const axes: Axis[] = ['x', 'y', 'z'];
    const critics = Object.fromEntries(axes.map((a, k) => [a, createCritic(cfg, { seed: 10 + k })])) as Record<Axis, Critic>;
    const opts = Object.fromEntries(axes.map((a) => [a, new Adam(critics[a], { lr: 1e-3 })])) as Record<Axis, Adam>;
    const optG = new Adam(gen, { lr: 1e-3 });
    const rng = new Random(6);
    const vol = blobs(rng, 16, 16, 16, 2);
    const inputs = prepareInputs(cfg, [sectionsOf(vol, 16, 1), sectionsOf(blobs(rng, 16, 16, 16, 2), 16, 1)]);
    const realSlices = Object.fromEntries(axes.map((a) => [a, tensor(rng.uniformArray(32 * 2 * 256), [32, 2, 16, 16])])) as Record<Axis, ReturnType<typeof tensor>>;
    const c = await criticStep2d({ generator: gen, critics, opts, inputs, realSlices, config: cfg, rng, noiseSeed: 1 });
    for (const a of axes) expect(c[a].applied && Number.isFinite(c[a].loss)).toBe(true);
    const s = await generatorStep2d({ generator: gen, critics, opt: optG, inputs, positions: [0], config: cfg, noiseSeed: 1 });
    expect(s.applied && Number.isFinite(s.loss) && s.l1 > 0).toBe(true);
    gen.dispose();
    axes.forEach((a) => critics[a].dispose());
  });
});
