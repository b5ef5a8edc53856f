/**
 * The SDK's generator, critics, losses and one training step's gradients against the PyTorch reference
 * (test/model/reference/generator.py, an independent functional re-implementation, float64). The case dirs are
 * model dirs written by PyTorch (config.json + model.safetensors), so loading them also checks that the parameter
 * names and shapes agree. Tolerances: probabilities max abs error < 1e-4; gradients max abs error / max abs value
 * per tensor < 1e-3 (float32 against float64), including the WGAN-GP penalty's gradient (double backward).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../src/index.js';
import {
  Adam, F, Graph, Parameter, createCritic, grad, loadModel, losses, prepareInputs, readSafetensors, volumeSlices, type Critic,
  type Generator, type HostArray, type Var,
} from '../../src/model/index.js';

const HERE = join(dirname(fileURLToPath(import.meta.url)), 'reference');
const PROB_TOL = 1e-4;
const GRAD_TOL = 1e-3;

const T = (a: HostArray): Tensor => tensor(a.data, a.shape);

function relErr(got: Float32Array, want: Float32Array): number {
  let num = 0, den = 0;
  for (let k = 0; k < want.length; k++) {
    num = Math.max(num, Math.abs(got[k] - want[k]));
    den = Math.max(den, Math.abs(want[k]));
  }
  return Number.isNaN(num) ? Infinity : num / (den + 1e-12);
}

/**
 * Worst per-tensor error of gradients: max |got - want| / max |want|. A tensor whose gradient is zero in exact
 * arithmetic (a conv bias right before an instance norm, a bias under the gradient penalty; PyTorch's float64 gives
 * ~1e-18 there) is measured against the largest gradient of the whole set instead: rounding noise is all it holds.
 */
async function compareGrads(names: string[], gs: Array<Var | null>, gold: Map<string, HostArray>, prefix: string): Promise<{ worst: number; name: string }> {
  const wants = names.map((n) => {
    const w = gold.get(`${prefix}${n}`);
    if (!w) throw new Error(`golden has no ${prefix}${n}`);
    return w.data;
  });
  const globalMax = Math.max(...wants.map((w) => w.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
  let worst = 0, at = '';
  for (let k = 0; k < names.length; k++) {
    const want = wants[k];
    const got = gs[k] ? await gs[k]!.read() : new Float32Array(want.length);
    let num = 0, den = 0;
    for (let i = 0; i < want.length; i++) {
      num = Math.max(num, Math.abs(got[i] - want[i]));
      den = Math.max(den, Math.abs(want[i]));
    }
    const e = Number.isNaN(num) ? Infinity : num / (den < 1e-10 * globalMax ? globalMax : den);
    if (e > worst) [worst, at] = [e, names[k]];
  }
  return { worst, name: at };
}

async function criticOf(dir: string, gen: Generator): Promise<Critic> {
  const critic = createCritic(gen.config);
  critic.loadStateDict((await readSafetensors(join(dir, 'critic.safetensors'))).tensors, 'critic.safetensors');
  return critic;
}

describe.each(['sections3d', 'single2d'])('PyTorch reference: %s', (name) => {
  const dir = join(HERE, name);

  it('forward, one training step\'s gradients (generator, critic, gradient penalty)', async () => {
    const gold = (await readSafetensors(join(dir, 'golden.safetensors'))).tensors;
    const gen = await loadModel(dir);
    const critic = await criticOf(dir, gen);
    const g = new Graph();
    const owned: Tensor[] = [];
    const own = (t: Tensor) => (owned.push(t), t);
    try {
      const inputs = { slices: own(T(gold.get('in.slices')!)), ...(gold.has('in.baseline') ? { baseline: own(T(gold.get('in.baseline')!)) } : {}) };
      const noise = { map: own(T(gold.get('in.noiseMap')!)), volume: own(T(gold.get('in.noiseVolume')!)) };
      const { probs, logits } = await gen.forward(inputs, { graph: g, noise });
      const pErr = relErr(await probs.read(), gold.get('out.probs')!.data) * 1; // probabilities: max |want| is ~1
      let pAbs = 0;
      const pg = await probs.read(), pw = gold.get('out.probs')!.data;
      for (let k = 0; k < pw.length; k++) pAbs = Math.max(pAbs, Math.abs(pg[k] - pw[k]));
      expect(pAbs).toBeLessThan(PROB_TOL);
      expect(pErr).toBeLessThan(PROB_TOL);
      expect(relErr(await logits.read(), gold.get('out.logits')!.data)).toBeLessThan(1e-4);

      const paired = gen.config.training === 'paired';
      const criticIn = (v: Var) => (paired ? Promise.resolve(v) : volumeSlices(v, 'y'));
      const { advWeight, l1Weight, gpLambda } = gen.config.loss;
      const adv = await losses.adversarial(critic, await criticIn(probs));
      const l1 = await losses.l1(probs, g.input(own(T(gold.get('in.real')!))));
      const lossG = await F.add(await F.scale(adv, advWeight), await F.scale(l1, l1Weight));
      expect(Math.abs((await lossG.item()) - gold.get('loss.g')!.data[0])).toBeLessThan(1e-5);
      const gNames = gen.namedParameters().map(([n]) => n);
      const gG = await grad([lossG], gen.parameters());
      const eg = await compareGrads(gNames, gG, gold, 'grad.generator.');
      expect(eg.worst, `generator gradient of ${eg.name}`).toBeLessThan(GRAD_TOL);

      const real = g.input(own(T(gold.get(paired ? 'in.real' : 'in.realSlices')!)));
      const fake = await criticIn(probs.detach());
      const r = await losses.wgangp(critic, real, fake, { lambda: gpLambda, drift: gen.config.loss.drift, epsilon: gold.get('in.eps')!.data });
      expect(Math.abs((await r.gp.item()) - gold.get('loss.gp')!.data[0])).toBeLessThan(1e-5);
      expect(Math.abs((await r.loss.item()) - gold.get('loss.d')!.data[0])).toBeLessThan(1e-4);
      const cNames = critic.namedParameters().map(([n]) => n);
      const gD = await grad([r.loss], critic.parameters(), { allowUnused: true });
      const ed = await compareGrads(cNames, gD, gold, 'grad.critic.');
      expect(ed.worst, `critic gradient of ${ed.name}`).toBeLessThan(GRAD_TOL);
      const gGp = await grad([await F.scale(r.gp, gpLambda)], critic.parameters(), { allowUnused: true });
      const ep = await compareGrads(cNames, gGp, gold, 'grad.gp.');
      expect(ep.worst, `gradient-penalty gradient of ${ep.name}`).toBeLessThan(GRAD_TOL);
      console.log(`${name}: probs max abs err ${pAbs.toExponential(2)}; relative grad err: generator ${eg.worst.toExponential(2)} (${eg.name}), critic ${ed.worst.toExponential(2)}, penalty ${ep.worst.toExponential(2)}`);
    } finally {
      g.dispose();
      owned.forEach((t) => t.dispose());
      gen.dispose();
      critic.dispose();
    }
  });

  it('shape-based interpolation matches scipy\'s EDT', async () => {
    const gold = (await readSafetensors(join(dir, 'golden.safetensors'))).tensors;
    const gen = await loadModel(dir);
    try {
      const { sections: k, optim } = gen.config;
      const batch = Array.from({ length: optim.batchSize }, (_, b) =>
        Array.from({ length: k }, (_, i) => Uint8Array.from(gold.get(`sections.${b}.${i}`)!.data)));
      const inputs = prepareInputs(gen.config, batch);
      expect(relErr(await inputs.slices.read(), gold.get('in.slices')!.data)).toBe(0);
      if (gold.has('in.baseline')) expect(relErr(await inputs.baseline!.read(), gold.get('in.baseline')!.data)).toBeLessThan(1e-5);
      inputs.slices.dispose();
      inputs.baseline?.dispose();
    } finally {
      gen.dispose();
    }
  });
});

it('Adam matches torch.optim.Adam over three steps (betas, eps, weight decay)', async () => {
  const gold = (await readSafetensors(join(HERE, 'sections3d', 'golden.safetensors'))).tensors;
  const p = new Parameter('w', T(gold.get('adam.p0')!));
  const opt = new Adam([['w', p]], { lr: 1e-2, betas: [0.5, 0.9], eps: 1e-8, weightDecay: 0.01 });
  const gs = gold.get('adam.grads')!.data, traj = gold.get('adam.traj')!.data;
  const n = p.size;
  for (let t = 0; t < 3; t++) {
    p.grad = tensor(gs.slice(t * n, (t + 1) * n), [n]);
    expect((await opt.step()).applied).toBe(true);
    const w = await p.read();
    for (let k = 0; k < n; k++) expect(Math.abs(w[k] - traj[t * n + k])).toBeLessThan(1e-6);
  }
  p.dispose();
});
