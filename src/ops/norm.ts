/**
 * Instance norm and batch norm (PyTorch's F.instance_norm / F.batch_norm) and their gradients. The caller's
 * tensors are never modified: batch norm in training returns new running statistics.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { checkOptionNames } from '../core/opdefs/conv.js';
import { checkEps, checkMomentum, normGeometry, type NormGeometry, type NormMode } from '../core/opdefs/norm.js';
import { checkTensor, expectShape, full, tensor, type Tensor } from '../core/tensor.js';
import { mul, sum } from './elementwise.js';
import { backendOf, type BackendOption } from './options.js';
import { runKernel } from './run.js';
import { withTemps } from './util.js';

/** The statistics of a normalisation forward pass: mean and rstd = 1/sqrt(var + eps). */
export interface NormSaved {
  /** [N, C] for instance norm, [C] for batch norm */
  mean: Tensor;
  rstd: Tensor;
}
export interface NormForwardResult extends NormSaved {
  y: Tensor;
}
export interface NormGrads {
  dx: Tensor;
  /** present when `weight` was given */
  dweight?: Tensor;
  /** present when `weight` or `bias` was given (an affine norm) */
  dbias?: Tensor;
}

export interface InstanceNormOptions extends BackendOption {
  /** gamma [C] (scale after normalising) */
  weight?: Tensor;
  /** beta [C] (shift after normalising) */
  bias?: Tensor;
  /** added to the variance (default 1e-5) */
  eps?: number;
}

export interface BatchNormOptions extends InstanceNormOptions {
  /** training: normalise by the batch statistics (and update running ones); else by runningMean/runningVar */
  training?: boolean;
  /** [C]; required in eval mode */
  runningMean?: Tensor;
  /** [C]; required in eval mode */
  runningVar?: Tensor;
  /** weight of the batch statistics in the new running ones (default 0.1) */
  momentum?: number;
}

export interface BatchNormTrainResult extends NormForwardResult {
  /** (1 - momentum) * runningMean + momentum * batch mean; present when runningMean was given */
  runningMean?: Tensor;
  /** (1 - momentum) * runningVar + momentum * unbiased batch variance; present when runningVar was given */
  runningVar?: Tensor;
}

const INSTANCE_OPTIONS = new Set(['weight', 'bias', 'eps', 'backend']);
const BATCH_OPTIONS = new Set([...INSTANCE_OPTIONS, 'training', 'runningMean', 'runningVar', 'momentum']);

function checkChannelTensor(op: string, name: string, t: unknown, C: number): Tensor | undefined {
  if (t === undefined) return undefined;
  const v = checkTensor(t, `${op}: ${name}`, [1]);
  expectShape(v, [C], `${op}: ${name}`);
  return v;
}

interface Affine {
  weight?: Tensor;
  bias?: Tensor;
}

type Temp = (t: Tensor | Promise<Tensor>) => Promise<Tensor>;

/** The kernels take gamma and beta together: the missing one becomes ones / zeros (disposed with the temps). */
async function affineInputs(a: Affine, C: number, temp: Temp): Promise<Tensor[]> {
  if (!a.weight && !a.bias) return [];
  return [a.weight ?? (await temp(full([C], 1))), a.bias ?? (await temp(full([C], 0)))];
}

interface Checked {
  g: NormGeometry;
  affine: Affine;
  eps: number;
}

function checkNorm(op: string, mode: NormMode, x: unknown, o: InstanceNormOptions | undefined, training: boolean): Checked {
  const xt = checkTensor(x, `${op}: x`);
  const eps = checkEps(op, o?.eps);
  const hasAffine = o?.weight !== undefined || o?.bias !== undefined;
  const g = normGeometry(op, mode, xt.shape, hasAffine, eps, training);
  const affine = { weight: checkChannelTensor(op, 'weight', o?.weight, g.C), bias: checkChannelTensor(op, 'bias', o?.bias, g.C) };
  return { g, affine, eps };
}

function checkSaved(op: string, saved: unknown, g: NormGeometry): NormSaved {
  if (saved === null || typeof saved !== 'object') throw new InvalidArgumentError(`${op}: saved must be { mean, rstd } from the forward pass`);
  const s = saved as NormSaved;
  expectShape(checkTensor(s.mean, `${op}: saved.mean`), g.statsShape, `${op}: saved.mean`);
  expectShape(checkTensor(s.rstd, `${op}: saved.rstd`), g.statsShape, `${op}: saved.rstd`);
  return s;
}

async function normForward(op: string, x: Tensor, c: Checked, o: BackendOption | undefined): Promise<NormForwardResult> {
  const { g } = c;
  const [y, mean, rstd] = await withTemps(async (temp) => runKernel({
    kernel: 'norm_forward', inputs: [x, ...(await affineInputs(c.affine, g.C, temp))], outputs: [x.shape, g.statsShape, g.statsShape],
    params: g.params, backend: backendOf(o, op),
  }));
  return { y, mean, rstd };
}

/** Gradients of a normalisation whose statistics came from x itself (instance norm, batch norm in training). */
async function normBackward(op: string, dy: Tensor, x: Tensor, saved: NormSaved, c: Checked, o: BackendOption | undefined): Promise<NormGrads> {
  const { g, affine: a } = c;
  const hasAffine = a.weight !== undefined || a.bias !== undefined;
  const [dx, dgamma, dbeta] = await withTemps(async (temp) => runKernel({
    kernel: 'norm_backward', inputs: [x, dy, saved.mean, saved.rstd, ...(hasAffine ? [a.weight ?? (await temp(full([g.C], 1)))] : [])],
    outputs: hasAffine ? [x.shape, [g.C], [g.C]] : [x.shape], params: g.params, backend: backendOf(o, op),
  }));
  if (!a.weight) dgamma?.dispose();
  return { dx, ...(a.weight ? { dweight: dgamma } : {}), ...(hasAffine ? { dbias: dbeta } : {}) };
}

/** Instance norm of x [N, C, ...spatial]: every (n, c) normalised over its spatial elements, then weight/bias. */
export async function instanceNorm(x: Tensor, o?: InstanceNormOptions): Promise<Tensor> {
  const r = await instanceNormForward(x, o);
  r.mean.dispose();
  r.rstd.dispose();
  return r.y;
}

/** instanceNorm returning the statistics instanceNormBackward needs. */
export async function instanceNormForward(x: Tensor, o?: InstanceNormOptions): Promise<NormForwardResult> {
  const op = 'instanceNorm';
  checkOptionNames(op, o, INSTANCE_OPTIONS);
  return normForward(op, x, checkNorm(op, 'instance', x, o, true), o);
}

/** Gradients of instanceNorm; pass the forward's weight (and bias) in the options to get dweight and dbias. */
export async function instanceNormBackward(dy: Tensor, x: Tensor, saved: NormSaved, o?: InstanceNormOptions): Promise<NormGrads> {
  const op = 'instanceNormBackward';
  checkOptionNames(op, o, INSTANCE_OPTIONS);
  const c = checkNorm(op, 'instance', x, o, true);
  expectShape(checkTensor(dy, `${op}: dy`), x.shape, `${op}: dy`);
  return normBackward(op, dy, x, checkSaved(op, saved, c.g), c, o);
}

function checkTraining(op: string, o: BatchNormOptions | undefined): boolean {
  const t = o?.training ?? false;
  if (typeof t !== 'boolean') throw new InvalidArgumentError(`${op}: training must be a boolean, got ${JSON.stringify(t)}`);
  return t;
}

function checkRunning(op: string, o: BatchNormOptions | undefined, C: number, training: boolean): { runningMean?: Tensor; runningVar?: Tensor } {
  const runningMean = checkChannelTensor(op, 'runningMean', o?.runningMean, C);
  const runningVar = checkChannelTensor(op, 'runningVar', o?.runningVar, C);
  if (!training && (!runningMean || !runningVar))
    throw new InvalidArgumentError(`${op}: eval mode (training: false) needs runningMean and runningVar`);
  return { runningMean, runningVar };
}

/** rstd = 1/sqrt(runningVar + eps), computed in float64 on the host ([C] values). */
async function evalStats(op: string, runningMean: Tensor, runningVar: Tensor, eps: number): Promise<NormSaved> {
  const v = await runningVar.read();
  const rstd = new Float64Array(v.length);
  for (let k = 0; k < v.length; k++) {
    if (!(v[k] + eps > 0)) throw new InvalidArgumentError(`${op}: runningVar[${k}] = ${v[k]} is negative`);
    rstd[k] = 1 / Math.sqrt(v[k] + eps);
  }
  return { mean: runningMean.reshape([...runningMean.shape]), rstd: tensor(Float32Array.from(rstd), [v.length]) };
}

/**
 * Batch norm of x [N, C, ...]: statistics per channel over the batch and spatial axes. In training (training:
 * true) the batch statistics are used and returned with the new running ones; in eval mode (the default, as
 * PyTorch's F.batch_norm) runningMean/runningVar are used and the normalised tensor is returned.
 */
export async function batchNorm(x: Tensor, o: BatchNormOptions & { training: true }): Promise<BatchNormTrainResult>;
export async function batchNorm(x: Tensor, o?: BatchNormOptions & { training?: false }): Promise<Tensor>;
export async function batchNorm(x: Tensor, o?: BatchNormOptions): Promise<Tensor | BatchNormTrainResult>;
export async function batchNorm(x: Tensor, o?: BatchNormOptions): Promise<Tensor | BatchNormTrainResult> {
  const op = 'batchNorm';
  checkOptionNames(op, o, BATCH_OPTIONS);
  const training = checkTraining(op, o);
  const c = checkNorm(op, 'batch', x, o, training);
  const { g } = c;
  const momentum = checkMomentum(op, o?.momentum);
  const running = checkRunning(op, o, g.C, training);
  const backend = backendOf(o, op);
  if (!training) {
    return withTemps(async (temp) => {
      const s = await evalStats(op, running.runningMean!, running.runningVar!, c.eps);
      await temp(s.mean);
      await temp(s.rstd);
      const [y] = await runKernel({
        kernel: 'norm_apply', inputs: [x, s.mean, s.rstd, ...(await affineInputs(c.affine, g.C, temp))], outputs: [x.shape], params: g.params, backend,
      });
      return y;
    });
  }
  const r: BatchNormTrainResult = await normForward(op, x, c, o);
  if (running.runningMean || running.runningVar) {
    const mean = await r.mean.read();
    const rstd = await r.rstd.read();
    const M = g.N * g.S;
    const blend = (old: Float32Array, batch: (k: number) => number) =>
      tensor(Float32Array.from(old, (v, k) => (1 - momentum) * v + momentum * batch(k)), [g.C]);
    if (running.runningMean) r.runningMean = blend(await running.runningMean.read(), (k) => mean[k]);
    // the biased variance is 1/rstd² - eps; PyTorch's running variance is unbiased (times M / (M - 1))
    if (running.runningVar) r.runningVar = blend(await running.runningVar.read(), (k) => Math.max(0, 1 / (rstd[k] * rstd[k]) - c.eps) * (M / (M - 1)));
  }
  return r;
}

/**
 * Gradients of batchNorm. Training: pass the forward's { mean, rstd } as `saved` and the same options
 * (training: true, weight/bias). Eval: `saved` may be omitted; runningMean/runningVar/eps in the options give the
 * (constant) statistics.
 */
export async function batchNormBackward(dy: Tensor, x: Tensor, saved: NormSaved | undefined, o?: BatchNormOptions): Promise<NormGrads> {
  const op = 'batchNormBackward';
  checkOptionNames(op, o, BATCH_OPTIONS);
  const training = checkTraining(op, o);
  const c = checkNorm(op, 'batch', x, o, training);
  const { g } = c;
  expectShape(checkTensor(dy, `${op}: dy`), x.shape, `${op}: dy`);
  if (training) {
    if (saved === undefined) throw new InvalidArgumentError(`${op}: training mode needs saved = { mean, rstd } from batchNorm`);
    return normBackward(op, dy, x, checkSaved(op, saved, g), c, o);
  }
  const running = saved === undefined ? checkRunning(op, o, g.C, false) : undefined;
  const backend = backendOf(o, op);
  return withTemps(async (temp) => {
    const s = saved !== undefined ? checkSaved(op, saved, g) : await evalStats(op, running!.runningMean!, running!.runningVar!, c.eps);
    if (saved === undefined) {
      await temp(s.mean);
      await temp(s.rstd);
    }
    // The statistics are constants: y = (x - mean) * rstd * gamma + beta, so dx = dy * rstd * gamma,
    // dgamma = sum(dy * xhat), dbeta = sum(dy) over every axis but the channels.
    const scale = c.affine.weight ? await temp(mul(s.rstd, c.affine.weight, { backend })) : s.rstd;
    const dx = await mul(dy, await temp(scale.reshape(g.channelShape)), { backend });
    const axes = [0, ...Array.from({ length: x.shape.length - 2 }, (_, k) => k + 2)];
    const grads: NormGrads = { dx };
    if (c.affine.weight) {
      const xhat = await temp(runKernel({
        kernel: 'norm_apply', inputs: [x, s.mean, s.rstd], outputs: [x.shape],
        params: normGeometry(op, 'batch', x.shape, false, c.eps, false).params, backend,
      }).then((r) => r[0]));
      grads.dweight = await sum(await temp(mul(dy, xhat, { backend })), { axis: axes, backend });
    }
    if (c.affine.weight || c.affine.bias) grads.dbias = await sum(dy, { axis: axes, backend });
    return grads;
  });
}
