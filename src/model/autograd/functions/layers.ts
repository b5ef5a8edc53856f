/** Differentiable linear/matmul, softmax, instance/batch norm and upsampling. */
import * as ops from '../../../ops/index.js';
import type { UpsampleOpOptions } from '../../../ops/upsample.js';
import { tensor, type Tensor } from '../../../core/tensor.js';
import { anyGrad, attach, graphOf, record, type Var } from '../var.js';
import { addScalar, div, mul, sqrt, square, sub } from './pointwise.js';
import { mean, sum } from './reduce.js';
import { reshape, transpose } from './shape.js';
import { constant, opts, scoped } from './util.js';

type Grads = Promise<Array<Var | undefined>>;

/** `p` (often a parameter) as a Var of the graph of `like`. */
const near = (p: Var, like: Var) => attach(p, graphOf('function', [like]));

/** Wraps the needed fused gradients as constants, frees the others. */
async function constants(like: Var, ts: Array<Tensor | undefined>, needs: readonly boolean[]): Promise<Array<Var | undefined>> {
  return Promise.all(ts.map(async (t, k) => {
    if (t && needs[k]) return constant(like, t);
    t?.dispose();
    return undefined;
  }));
}

/** y = x w^T + b: x [..., in], w [out, in], b [out] (PyTorch's F.linear). */
export async function linear(x: Var, w: Var, b?: Var): Promise<Var> {
  const y = await ops.linear(x.value, w.value, { ...opts(x, w), ...(b ? { bias: b.value } : {}) });
  return record('linear', y, b ? [x, w, b] : [x, w], async (gy, [xi, wi, bi], _y, needs): Grads => {
    if (!anyGrad(gy, xi, wi, bi)) {
      const r = await ops.linearBackward(gy.value, xi.value, wi.value, { ...opts(gy), ...(bi ? { bias: bi.value } : {}) });
      return constants(gy, [r.dx, r.dw, r.db], needs);
    }
    const inF = wi.shape[1], outF = wi.shape[0];
    const M = xi.size / inF;
    return scoped(async (t) => {
      const g2 = await t(reshape(gy, [M, outF]));
      const dx = needs[0] ? await linear(gy, await t(transpose(near(wi, gy)))) : undefined;
      const dw = needs[1] ? await ops2(t, g2, xi, M, inF) : undefined;
      const db = bi && needs[2] ? await sum(g2, { axis: 0 }) : undefined;
      return [dx, dw, db];
    });
  });
}

async function ops2(t: (v: Var | Promise<Var>) => Promise<Var>, g2: Var, x: Var, M: number, inF: number): Promise<Var> {
  return matmul(await t(transpose(g2)), await t(reshape(x, [M, inF])));
}

/** a [M, K] @ b [K, N] */
export async function matmul(a: Var, b: Var): Promise<Var> {
  return record('matmul', await ops.matmul(a.value, b.value, opts(a, b)), [a, b], async (gy, [ai, bi], _y, needs): Grads => {
    if (!anyGrad(gy, ai, bi)) {
      const r = await ops.matmulBackward(gy.value, ai.value, bi.value, opts(gy));
      return constants(gy, [r.da, r.db], needs);
    }
    return scoped(async (t) => [
      needs[0] ? await matmul(gy, await t(transpose(near(bi, gy)))) : undefined,
      needs[1] ? await matmul(await t(transpose(near(ai, gy))), gy) : undefined,
    ]);
  });
}

/** softmax over `axis` (default 1, the channels). */
export async function softmax(x: Var, axis = 1): Promise<Var> {
  const o = { ...opts(x), axis };
  return record('softmax', await ops.softmax(x.value, o), [x], async (gy, _x, y): Grads => {
    if (!anyGrad(gy, y)) return [await constant(gy, ops.softmaxBackward(gy.value, y.value, { ...opts(gy), axis }))];
    // y * (gy - sum(gy * y))
    return [await scoped(async (t) => mul(y, await t(sub(gy, await t(sum(await t(mul(gy, y)), { axis, keepDims: true }))))))];
  });
}

export interface NormFnOptions {
  weight?: Var;
  bias?: Var;
  /** added to the variance (default 1e-5) */
  eps?: number;
}

/**
 * The gradient of a normalisation whose statistics come from x over `axes`, from differentiable functions:
 * dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = gy * weight; dweight = sum(gy * xhat); dbias = sum(gy).
 */
async function normGradComposite(gy: Var, x: Var, w: Var | undefined, hasBias: boolean, axes: number[], eps: number, needs: readonly boolean[]): Grads {
  const C = x.shape[1];
  const cShape = x.shape.map((d, k) => (k === 1 ? C : 1));
  const paramAxes = [0, ...x.shape.map((_, k) => k).slice(2)];
  return scoped(async (t) => {
    const mu = await t(mean(x, { axis: axes, keepDims: true }));
    const xc = await t(sub(x, mu));
    const v = await t(mean(await t(square(xc)), { axis: axes, keepDims: true }));
    const one = await t(constant(gy, tensor(new Float32Array([1]), [1])));
    const rstd = await t(div(one, await t(sqrt(await t(addScalar(v, eps))))));
    const xhat = await t(mul(xc, rstd));
    const g = w ? await t(mul(gy, await t(reshape(near(w, gy), cShape)))) : gy;
    let dx: Var | undefined;
    if (needs[0]) {
      const a = await t(sub(g, await t(mean(g, { axis: axes, keepDims: true }))));
      const bterm = await t(mul(xhat, await t(mean(await t(mul(g, xhat)), { axis: axes, keepDims: true }))));
      dx = await mul(rstd, await t(sub(a, bterm)));
    }
    const dw = w && needs[1] ? await sum(await t(mul(gy, xhat)), { axis: paramAxes }) : undefined;
    const bIndex = w ? 2 : 1;
    const db = hasBias && needs[bIndex] ? await sum(gy, { axis: paramAxes }) : undefined;
    return w ? [dx, dw, db] : [dx, db];
  });
}

async function statNorm(name: 'instanceNorm' | 'batchNorm', x: Var, o: NormFnOptions): Promise<Var> {
  const eps = o.eps ?? 1e-5;
  const bo = opts(x);
  const affineOpts = { ...(o.weight ? { weight: o.weight.value } : {}), ...(o.bias ? { bias: o.bias.value } : {}), eps };
  const r = name === 'instanceNorm'
    ? await ops.instanceNormForward(x.value, { ...bo, ...affineOpts })
    : await ops.batchNorm(x.value, { ...bo, ...affineOpts, training: true });
  const g = graphOf(name, [x]);
  const saved = { mean: g.own(r.mean), rstd: g.own(r.rstd) };
  const inputs = [x, ...(o.weight ? [o.weight] : []), ...(o.bias ? [o.bias] : [])];
  const axes = name === 'instanceNorm' ? x.shape.map((_, k) => k).slice(2) : [0, ...x.shape.map((_, k) => k).slice(2)];
  return record(name, r.y, inputs, async (gy, ins, _y, needs): Grads => {
    const xi = ins[0];
    const wi = o.weight ? ins[1] : undefined;
    const bi = o.bias ? ins[o.weight ? 2 : 1] : undefined;
    if (!anyGrad(gy, ...ins)) {
      const ao = { ...opts(gy), ...(wi ? { weight: wi.value } : {}), ...(bi ? { bias: bi.value } : {}), eps };
      const gr = name === 'instanceNorm'
        ? await ops.instanceNormBackward(gy.value, xi.value, saved, ao)
        : await ops.batchNormBackward(gy.value, xi.value, saved, { ...ao, training: true });
      const list: Array<Tensor | undefined> = [gr.dx];
      if (wi) list.push(gr.dweight);
      else gr.dweight?.dispose();
      if (bi) list.push(gr.dbias);
      else gr.dbias?.dispose();
      return constants(gy, list, needs);
    }
    return normGradComposite(gy, xi, wi, bi !== undefined, axes, eps, needs);
  });
}

/** Instance norm of x [N, C, ...spatial] (PyTorch's F.instance_norm), optional affine weight/bias [C]. */
export const instanceNorm = (x: Var, o: NormFnOptions = {}) => statNorm('instanceNorm', x, o);
/** Batch norm with the batch's statistics (training mode); running statistics are the caller's affair. */
export const batchNorm = (x: Var, o: NormFnOptions = {}) => statNorm('batchNorm', x, o);

/** Resizes the spatial axes (PyTorch's F.interpolate; nearest or (bi/tri)linear). */
export async function upsample(x: Var, o: UpsampleOpOptions): Promise<Var> {
  const uo = { ...o, ...opts(x) };
  return record('upsample', await ops.upsample(x.value, uo), [x], async (gy, [xi]): Grads => [await upsampleAdjoint(gy, xi.value, uo)]);
}

/** The adjoint of upsample(x, o) applied to a (the gradient of upsample); shaped like `xLike`. */
async function upsampleAdjoint(a: Var, xLike: Tensor, o: UpsampleOpOptions): Promise<Var> {
  return record('upsampleBackward', await ops.upsampleBackward(a.value, xLike, o), [a], async (gy): Grads => [await upsample(gy, o)]);
}
