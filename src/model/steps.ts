/**
 * One critic update and one generator update, the building blocks of the Trainer's loop (paired and 2D modes).
 * Each step builds its own Graph and disposes it before returning; losses come back as numbers. A step whose loss
 * or gradients are not finite changes nothing and reports applied: false.
 */
import type { Tensor } from '../core/tensor.js';
import { F, Graph, backward, type Var } from './autograd/index.js';
import { isFinite } from './autograd/numerics.js';
import type { ModelConfig } from './config.js';
import { volumeSlices, type Critic } from './critic.js';
import type { Generator, GeneratorInputs } from './generator.js';
import * as losses from './losses.js';
import type { Adam, Ema } from './optim.js';
import type { Random } from './random.js';
import type { BackendChoice } from '../backends/registry.js';

export type Axis = 'x' | 'y' | 'z';
export const AXES: readonly Axis[] = ['x', 'y', 'z'];

export interface CriticStepResult {
  loss: number;
  gp: number;
  wasserstein: number;
  applied: boolean;
}

export interface GeneratorStepResult {
  loss: number;
  adv: number;
  l1: number;
  applied: boolean;
}

/** The generator's probabilities for a batch, with no graph kept (the critic step's fakes). */
export async function generateFakes(generator: Generator, inputs: GeneratorInputs, noiseSeed: number, backend?: BackendChoice): Promise<Tensor> {
  return generator.predict(inputs, { noiseSeed, backend });
}

async function criticUpdate(g: Graph, critic: Critic, opt: Adam, real: Var, fake: Var, config: ModelConfig, rng: Random): Promise<CriticStepResult> {
  const r = await losses.wgangp(critic, real, fake, { lambda: config.loss.gpLambda, drift: config.loss.drift, rng });
  const [loss, gp, w] = [await r.loss.item(), await r.gp.item(), await r.wasserstein.item()];
  if (!Number.isFinite(loss)) return { loss, gp, wasserstein: w, applied: false };
  opt.zeroGrad();
  await backward(r.loss, critic.parameters());
  const s = await opt.step({ maxGradNorm: config.optim.gradClip || undefined });
  return { loss, gp, wasserstein: w, applied: s.applied };
}

/** Paired mode: one update of the 3D critic on real volumes [N, P, S, H, W] (one-hot) against generated ones. */
export async function criticStepPaired(o: {
  generator: Generator; critic: Critic; opt: Adam; inputs: GeneratorInputs; real: Tensor; config: ModelConfig; rng: Random; noiseSeed: number; backend?: BackendChoice;
}): Promise<CriticStepResult> {
  const g = new Graph({ backend: o.backend });
  try {
    const fake = g.input(await generateFakes(o.generator, o.inputs, o.noiseSeed, o.backend), { own: true });
    return await criticUpdate(g, o.critic, o.opt, g.input(o.real), fake, o.config, o.rng);
  } finally {
    g.dispose();
  }
}

/** Paired mode: one generator update: advWeight * -mean D(G(x)) + l1Weight * mean |G(x) - real|. */
export async function generatorStepPaired(o: {
  generator: Generator; critic: Critic; opt: Adam; ema?: Ema; inputs: GeneratorInputs; real: Tensor; config: ModelConfig; noiseSeed: number; backend?: BackendChoice;
}): Promise<GeneratorStepResult> {
  const g = new Graph({ backend: o.backend });
  try {
    const { probs } = await o.generator.forward(o.inputs, { graph: g, noiseSeed: o.noiseSeed });
    const { advWeight, l1Weight } = o.config.loss;
    const adv = await losses.adversarial(o.critic, probs);
    const l1 = await losses.l1(probs, g.input(o.real));
    const loss = await F.add(await F.scale(adv, advWeight), await F.scale(l1, l1Weight));
    return await generatorUpdate(o.generator, o.opt, o.ema, loss, adv, l1, o.config);
  } finally {
    g.dispose();
  }
}

async function generatorUpdate(gen: Generator, opt: Adam, ema: Ema | undefined, loss: Var, adv: Var, l1: Var, config: ModelConfig): Promise<GeneratorStepResult> {
  const out = { loss: await loss.item(), adv: await adv.item(), l1: await l1.item() };
  if (!(await isFinite(loss))) return { ...out, applied: false };
  opt.zeroGrad();
  await backward(loss, gen.parameters());
  const s = await opt.step({ maxGradNorm: config.optim.gradClip || undefined });
  if (s.applied && ema) await ema.update(gen);
  return { ...out, applied: s.applied };
}

/**
 * 2D mode: one update of each axis' slice critic. realSlices[axis]: [M, P, S, S] one-hot crops of that plane's
 * training image, M = N * S (as many as the generated volumes have slices across the axis).
 */
export async function criticStep2d(o: {
  generator: Generator; critics: Record<Axis, Critic>; opts: Record<Axis, Adam>; inputs: GeneratorInputs; realSlices: Record<Axis, Tensor>;
  config: ModelConfig; rng: Random; noiseSeed: number; backend?: BackendChoice;
}): Promise<Record<Axis, CriticStepResult>> {
  const g = new Graph({ backend: o.backend });
  try {
    const vol = g.input(await generateFakes(o.generator, o.inputs, o.noiseSeed, o.backend), { own: true });
    const out = {} as Record<Axis, CriticStepResult>;
    for (const a of AXES) out[a] = await criticUpdate(g, o.critics[a], o.opts[a], g.input(o.realSlices[a]), await volumeSlices(vol, a), o.config, o.rng);
    return out;
  } finally {
    g.dispose();
  }
}

/**
 * 2D mode: one generator update: advWeight * sum over axes of -mean D_axis(slices) + l1Weight * the L1 between
 * the generated volume's planes at the section positions and the input sections (the only 3D truth there is).
 */
export async function generatorStep2d(o: {
  generator: Generator; critics: Record<Axis, Critic>; opt: Adam; ema?: Ema; inputs: GeneratorInputs; positions: number[];
  config: ModelConfig; noiseSeed: number; backend?: BackendChoice;
}): Promise<GeneratorStepResult> {
  const g = new Graph({ backend: o.backend });
  try {
    const { probs } = await o.generator.forward(o.inputs, { graph: g, noiseSeed: o.noiseSeed });
    const { advWeight, l1Weight } = o.config.loss;
    let adv: Var | undefined;
    for (const a of AXES) {
      const t = await losses.adversarial(o.critics[a], await volumeSlices(probs, a));
      adv = adv ? await F.add(adv, t) : t;
    }
    const [N, P, , H, W] = probs.shape;
    const k = o.positions.length;
    const planes = await Promise.all(o.positions.map((z) => F.slice(probs, [0, 0, z, 0, 0], [N, P, 1, H, W])));
    // [N, P, k, H, W] -> section-major [N, k*P, H, W], the layout of inputs.slices
    const gotSm = await F.reshape(await F.permute(await F.concat(planes, 2), [0, 2, 1, 3, 4]), [N, k * P, H, W]);
    const l1 = await losses.l1(gotSm, g.input(o.inputs.slices));
    const loss = await F.add(await F.scale(adv!, advWeight), await F.scale(l1, l1Weight));
    return await generatorUpdate(o.generator, o.opt, o.ema, loss, adv!, l1, o.config);
  } finally {
    g.dispose();
  }
}
