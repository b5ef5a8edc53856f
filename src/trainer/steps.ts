/**
 * The Trainer's generator updates: the model's adversarial + L1 terms plus optional cross-entropy, a phase-fraction
 * term and a depth-fading weight on the paired regularisation (single mode: the continuation far from the input
 * slice is not determined by it, so matching it voxel by voxel there only blurs). Non-finite losses or gradients
 * change nothing and report applied: false (the caller counts them).
 */
import type { Tensor } from '../core/tensor.js';
import { tensor } from '../core/tensor.js';
import { F, Graph, backward, isFinite, type Var } from '../model/autograd/index.js';
import { volumeSlices, type Critic } from '../model/critic.js';
import type { Generator, GeneratorInputs } from '../model/generator.js';
import * as losses from '../model/losses.js';
import type { Adam, Ema } from '../model/optim.js';
import type { BackendChoice } from '../backends/registry.js';
import type { ModelConfig } from '../model/config.js';

export interface GenTerms {
  advWeight: number;
  l1Weight: number;
  ceWeight: number;
  pfWeight: number;
  /** paired: weight of losses.ssimLoss (optional, default 0) */
  ssimWeight?: number;
  /** paired: per-depth weights [size] of the L1/CE terms (null: uniform) */
  depthWeights: Float32Array | null;
  /** phase fractions of the training data [P] */
  fractions: number[];
}

export interface GenStepResult {
  loss: number;
  adv: number;
  l1: number;
  ce: number;
  pf: number;
  /** SSIM of the expected label maps (when ssimWeight > 0) */
  ssim?: number;
  applied: boolean;
}

async function weightedMeanAbs(g: Graph, probs: Var, target: Var, w: Float32Array | null, S: number): Promise<Var> {
  const d = await F.abs(await F.sub(probs, target));
  if (!w) return F.mean(d);
  return F.mean(await F.mul(d, g.input(g.own(tensor(w, [1, 1, S, 1, 1])))));
}

async function weightedCe(g: Graph, probs: Var, target: Var, w: Float32Array | null, S: number): Promise<Var> {
  const lp = await F.log(await F.addScalar(probs, 1e-7));
  let t = await F.mul(lp, target);
  if (w) t = await F.mul(t, g.input(g.own(tensor(w, [1, 1, S, 1, 1]))));
  const P = probs.shape[1];
  return F.scale(await F.mean(t), -P);
}

export async function generatorStep(o: {
  generator: Generator; config: ModelConfig; opt: Adam; ema?: Ema; inputs: GeneratorInputs; noiseSeed: number; backend?: BackendChoice;
  terms: GenTerms;
  /** paired: one-hot real blocks [N, P, S, H, W]; with critic */
  real?: Tensor; critic?: Critic;
  /** 2d: per-axis critics and the section positions whose planes must match the input */
  critics?: Record<'x' | 'y' | 'z', Critic>; positions?: number[];
}): Promise<GenStepResult> {
  const g = new Graph({ backend: o.backend });
  try {
    const { probs } = await o.generator.forward(o.inputs, { graph: g, noiseSeed: o.noiseSeed });
    const t = o.terms;
    const S = o.config.size;
    const [N, P, , H, W] = probs.shape;
    const parts: Var[] = [];
    const out: { adv: number; l1: number; ce: number; pf: number; ssim?: number } = { adv: 0, l1: 0, ce: 0, pf: 0 };
    if (t.advWeight > 0) {
      let adv: Var | undefined;
      if (o.critic) adv = await losses.adversarial(o.critic, probs);
      else
        for (const a of ['x', 'y', 'z'] as const) {
          const s = await losses.adversarial(o.critics![a], await volumeSlices(probs, a));
          adv = adv ? await F.add(adv, s) : s;
        }
      out.adv = await adv!.item();
      parts.push(await F.scale(adv!, t.advWeight));
    }
    if (o.real) {
      const real = g.input(o.real);
      if (t.l1Weight > 0) {
        const l1 = await weightedMeanAbs(g, probs, real, t.depthWeights, S);
        out.l1 = await l1.item();
        parts.push(await F.scale(l1, t.l1Weight));
      }
      if (t.ceWeight > 0) {
        const ce = await weightedCe(g, probs, real, t.depthWeights, S);
        out.ce = await ce.item();
        parts.push(await F.scale(ce, t.ceWeight));
      }
      if (t.ssimWeight) {
        const l = await losses.ssimLoss(probs, real);
        out.ssim = 1 - (await l.item());
        parts.push(await F.scale(l, t.ssimWeight));
      }
    } else if (t.l1Weight > 0 && o.positions) {
      const k = o.positions.length;
      const planes = await Promise.all(o.positions.map((z) => F.slice(probs, [0, 0, z, 0, 0], [N, P, 1, H, W])));
      const cat = planes.length > 1 ? await F.concat(planes, 2) : planes[0];
      const gotSm = await F.reshape(await F.permute(cat, [0, 2, 1, 3, 4]), [N, k * P, H, W]);
      const l1 = await losses.l1(gotSm, g.input(o.inputs.slices));
      out.l1 = await l1.item();
      parts.push(await F.scale(l1, t.l1Weight));
    }
    if (t.pfWeight > 0) {
      const pf = await losses.phaseFraction(probs, g.own(tensor(Float32Array.from(t.fractions), [P])));
      out.pf = await pf.item();
      parts.push(await F.scale(pf, t.pfWeight));
    }
    let loss = parts[0];
    for (const p of parts.slice(1)) loss = await F.add(loss, p);
    const lv = await loss.item();
    if (!Number.isFinite(lv) || !(await isFinite(loss))) return { loss: lv, ...out, applied: false };
    o.opt.zeroGrad();
    await backward(loss, o.generator.parameters());
    const s = await o.opt.step({ maxGradNorm: o.config.optim.gradClip || undefined });
    if (s.applied && o.ema) await o.ema.update(o.generator);
    return { loss: lv, ...out, applied: s.applied };
  } finally {
    g.dispose();
  }
}
