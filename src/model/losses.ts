/**
 * Losses: the WGAN-GP critic loss (Gulrajani et al. 2017) with its gradient penalty computed by double backward,
 * the generator's adversarial term, and the image-regularisation terms (L1 to one-hot labels, cross-entropy,
 * phase fractions).
 */
import { InvalidArgumentError } from '../core/errors.js';
import { sameShape, shapeString } from '../core/shape.js';
import { tensor, type Tensor } from '../core/tensor.js';
import * as ops from '../ops/index.js';
import { F, grad, type Var } from './autograd/index.js';
import { graphOf } from './autograd/var.js';
import type { Random } from './random.js';

export interface Scorer {
  forward(x: Var): Promise<Var>;
}

export interface WganGpOptions {
  /** gradient-penalty weight (default 10) */
  lambda?: number;
  /** weight of the drift term mean D(real)^2 that keeps the critic's scores near 0 (ProGAN; default 0) */
  drift?: number;
  /** interpolation weights [N] in [0, 1] (default: uniform draws from rng) */
  epsilon?: Float32Array;
  rng?: Random;
}

export interface WganGpResult {
  /** mean D(fake) - mean D(real) + lambda * gp + drift * mean D(real)^2: minimise w.r.t. the critic */
  loss: Var;
  /** mean (||grad_x D(x_hat)|| - 1)^2 */
  gp: Var;
  /** mean D(real) - mean D(fake): the critic's Wasserstein estimate */
  wasserstein: Var;
}

/** ||v_n|| per sample of [N, ...], with a 1e-12 guard inside the square root (finite gradient at 0). */
async function sampleNorms(v: Var): Promise<Var> {
  const flat = await F.reshape(v, [v.shape[0], -1]);
  return F.sqrt(await F.addScalar(await F.sum(await F.square(flat), { axis: 1 }), 1e-12));
}

/**
 * The critic's loss. `real` and `fake` are data (no gradient flows into the generator here: pass fake detached).
 * The penalty is taken at x_hat = fake + eps (real - fake), one eps per sample.
 */
export async function wgangp(critic: Scorer, real: Var, fake: Var, o: WganGpOptions = {}): Promise<WganGpResult> {
  if (!sameShape(real.shape, fake.shape)) throw new InvalidArgumentError(`wgangp: real ${shapeString(real.shape)} and fake ${shapeString(fake.shape)} differ in shape`);
  const g = graphOf('wgangp', [real, fake]);
  const N = real.shape[0];
  const lambda = o.lambda ?? 10;
  let eps = o.epsilon;
  if (!eps) {
    if (!o.rng) throw new InvalidArgumentError('wgangp: pass epsilon or rng');
    eps = o.rng.uniformArray(N);
  }
  if (eps.length !== N) throw new InvalidArgumentError(`wgangp: epsilon has ${eps.length} values for ${N} samples`);
  const dReal = await critic.forward(real.detach());
  const dFake = await critic.forward(fake.detach());
  // x_hat as data with a gradient of its own
  const e = tensor(eps, [N, ...new Array(real.shape.length - 1).fill(1)]);
  const diff = await ops.sub(real.value, fake.value, g.backend ? { backend: g.backend } : {});
  const scaled = await ops.mul(diff, e);
  const xhatT = await ops.add(fake.value, scaled);
  e.dispose();
  diff.dispose();
  scaled.dispose();
  const xhat = g.input(xhatT, { own: true, requiresGrad: true });
  const dHat = await critic.forward(xhat);
  const [gx] = await grad([await F.sum(dHat)], [xhat], { createGraph: true });
  const norms = await sampleNorms(gx!);
  const gp = await F.mean(await F.square(await F.addScalar(norms, -1)));
  const mReal = await F.mean(dReal);
  const mFake = await F.mean(dFake);
  const wasserstein = await F.sub(mReal, mFake);
  let loss = await F.add(await F.neg(wasserstein), await F.scale(gp, lambda));
  if (o.drift) loss = await F.add(loss, await F.scale(await F.mean(await F.square(dReal)), o.drift));
  return { loss, gp, wasserstein };
}

/** The generator's adversarial loss: -mean D(fake). */
export async function adversarial(critic: Scorer, fake: Var): Promise<Var> {
  return F.neg(await F.mean(await critic.forward(fake)));
}

/** mean |probs - target| (target: one-hot labels of the same shape). */
export async function l1(probs: Var, target: Var): Promise<Var> {
  return F.mean(await F.abs(await F.sub(probs, target)));
}

/** -mean over samples and voxels of sum_p target_p log(probs_p + 1e-7). */
export async function crossEntropy(probs: Var, target: Var): Promise<Var> {
  const lp = await F.log(await F.addScalar(probs, 1e-7));
  const s = await F.sum(await F.mul(lp, target), { axis: 1 });
  return F.neg(await F.mean(s));
}

/** sum_p (mean phase-p probability - fraction_p)^2, with fractions [P] (e.g. of the training data). */
export async function phaseFraction(probs: Var, fractions: Tensor): Promise<Var> {
  const P = probs.shape[1];
  if (fractions.size !== P) throw new InvalidArgumentError(`phaseFraction: ${fractions.size} fractions for ${P} phases`);
  const m = await F.reshape(await F.mean(await F.globalAvgPool(probs), { axis: 0 }), [P]);
  const d = await F.sub(m, graphOf('phaseFraction', [probs]).input(fractions));
  return F.sum(await F.square(d));
}

/**
 * 1 − mean 3D SSIM between the expected label maps sum_p p/(P−1)·probs_p of [N, P, D, H, W] probabilities and of
 * the target (one-hot labels): win³ uniform window over the valid region, sample covariances (n/(n−1)),
 * C1 = 0.01², C2 = 0.03², data range 1 — the sections-mode quality protocol's own measure
 * (compareVolumes(...).ssimUniform on hard labels). L1 / cross-entropy alone blur the planes far from any section
 * into the majority phase, which lowers SSIM; this term rewards the structure instead.
 */
export async function ssimLoss(probs: Var, target: Var, win = 7): Promise<Var> {
  if (probs.shape.length !== 5) throw new InvalidArgumentError(`ssimLoss: probs must be [N, P, D, H, W], got ${shapeString(probs.shape)}`);
  if (!sameShape(probs.shape, target.shape)) throw new InvalidArgumentError(`ssimLoss: target ${shapeString(target.shape)} differs from probs ${shapeString(probs.shape)}`);
  const [, P, D, H, W] = probs.shape;
  if (P < 2) throw new InvalidArgumentError('ssimLoss: needs at least 2 phases');
  if (!Number.isInteger(win) || win < 2 || win > Math.min(D, H, W)) throw new InvalidArgumentError(`ssimLoss: window ${win} does not fit ${shapeString(probs.shape)}`);
  const g = graphOf('ssimLoss', [probs]);
  const n = win ** 3;
  const lab = g.input(g.own(tensor(Float32Array.from({ length: P }, (_, p) => p / (P - 1)), [1, P, 1, 1, 1])));
  const box = g.input(g.own(tensor(new Float32Array(n).fill(1 / n), [1, 1, win, win, win])));
  const pool = (v: Var) => F.conv3d(v, box);
  const a = await F.conv3d(probs, lab);
  const b = await F.conv3d(target, lab);
  const [ua, ub, uaa, ubb, uab] = await Promise.all([pool(a), pool(b), pool(await F.square(a)), pool(await F.square(b)), pool(await F.mul(a, b))]);
  const c = n / (n - 1);
  const uaub = await F.mul(ua, ub);
  const va = await F.scale(await F.sub(uaa, await F.square(ua)), c);
  const vb = await F.scale(await F.sub(ubb, await F.square(ub)), c);
  const vab = await F.scale(await F.sub(uab, uaub), c);
  const C1 = 0.01 ** 2, C2 = 0.03 ** 2;
  const num = await F.mul(await F.affine(uaub, 2, C1), await F.affine(vab, 2, C2));
  const den = await F.mul(await F.addScalar(await F.add(await F.square(ua), await F.square(ub)), C1), await F.addScalar(await F.add(va, vb), C2));
  return F.affine(await F.mean(await F.div(num, den)), -1, 1);
}
