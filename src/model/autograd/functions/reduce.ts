/** Differentiable reductions: sum/mean over axes, global avg/max pooling, channel mean/max (CBAM). */
import { normAxes } from '../../../core/opdefs/elementwise.js';
import * as ops from '../../../ops/index.js';
import type { Tensor } from '../../../core/tensor.js';
import { anyGrad, record, type Var } from '../var.js';
import { affine, mul } from './pointwise.js';
import { expand, reshape } from './shape.js';
import { constant, opts, scoped, withOnes } from './util.js';

type Grads = Promise<Array<Var | undefined>>;

export interface ReduceOptions {
  /** axes (default all; negatives count from the end) */
  axis?: number | number[];
  keepDims?: boolean;
}

/** ops.sum over axes, the innermost run of neighbouring axes first (it shrinks the data most), keeping dims. */
async function sumKeep(x: Tensor, axes: number[], bo: object): Promise<Tensor> {
  const runs: number[][] = [];
  for (const a of axes) {
    const last = runs[runs.length - 1];
    if (last && a === last[last.length - 1] + 1) last.push(a);
    else runs.push([a]);
  }
  let cur = x;
  for (const run of runs.reverse()) {
    const next = await ops.sum(cur, { ...bo, axis: run, keepDims: true });
    if (cur !== x) cur.dispose();
    cur = next;
  }
  return cur;
}

async function reduceFn(kind: 'sum' | 'mean', x: Var, o: ReduceOptions = {}): Promise<Var> {
  const axes = normAxes(kind, o.axis, x.shape.length);
  const keepDims = o.keepDims ?? false;
  const bo = opts(x);
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  const kept = x.shape.map((d, a) => (axes.includes(a) ? 1 : d));
  const dropped = x.shape.filter((_, a) => !axes.includes(a));
  let y = await sumKeep(x.value, axes, bo);
  if (kind === 'mean' && count !== 1) {
    const m = await ops.affine(y, 1 / count, 0, bo);
    y.dispose();
    y = m;
  }
  const shaped = y.reshape(keepDims ? kept : dropped.length ? dropped : [1]);
  y.dispose();
  return record(kind, shaped, [x], async (gy, [xi]): Grads => [await scoped(async (t) => {
    const g = kind === 'sum' ? gy : await t(affine(gy, 1 / count, 0));
    return expand(await t(reshape(g, kept)), xi.shape);
  })]);
}

/**
 * sum of gy [N, C, ...] over every axis but the channels -> [C] (a conv bias's gradient). `value`: the result
 * when a fused kernel already computed it.
 */
export async function sumToChannels(gy: Var, value?: Tensor): Promise<Var> {
  const C = gy.shape[1];
  const axes = gy.shape.map((_, a) => a).filter((a) => a !== 1);
  let v = value;
  if (!v) {
    const k = await sumKeep(gy.value, axes, opts(gy));
    v = k.reshape([C]);
    k.dispose();
  }
  return record('sumToChannels', v, [gy], async (g, [gi]): Grads => [
    await scoped(async (t) => expand(await t(reshape(g, gi.shape.map((d, a) => (a === 1 ? C : 1)))), gi.shape)),
  ]);
}

export const sum = (x: Var, o?: ReduceOptions) => reduceFn('sum', x, o);
export const mean = (x: Var, o?: ReduceOptions) => reduceFn('mean', x, o);

type Pool = (x: Tensor, o?: object) => Promise<Tensor>;
type PoolMaxBackward = (dy: Tensor, x: Tensor, y?: Tensor, o?: object) => Promise<Tensor>;

async function meanPool(name: string, x: Var, fwd: Pool): Promise<Var> {
  const o = opts(x);
  const y = await fwd(x.value, o);
  const count = x.size / y.size;
  return record(name, y, [x], async (gy, [xi]): Grads => {
    if (!gy.requiresGrad) {
      // scale the small gradient, then broadcast it (one pass over the large one)
      const s = await ops.affine(gy.value, 1 / count, 0, o);
      try {
        return [await constant(gy, ops.expand(s, [...xi.shape], o))];
      } finally {
        s.dispose();
      }
    }
    return [await scoped(async (t) => expand(await t(affine(gy, 1 / count, 0)), xi.shape))];
  });
}

async function maxPool(name: string, x: Var, fwd: Pool, bwd: PoolMaxBackward): Promise<Var> {
  const o = opts(x);
  return record(name, await fwd(x.value, o), [x], async (gy, [xi], y): Grads => {
    if (!anyGrad(gy)) return [await constant(gy, bwd(gy.value, xi.value, y.value, o))];
    // the gradient goes to the maximum: a constant 0/1 mask times the broadcast gy
    const mask = await constant(gy, withOnes(y.shape, (ones) => bwd(ones, xi.value, y.value, o)));
    return [await mul(mask, gy)];
  });
}

/** Mean over the spatial axes: [N, C, ...sp] -> [N, C, 1, ...]. */
export const globalAvgPool = (x: Var) => meanPool('globalAvgPool', x, ops.globalAvgPool);
/** Max over the spatial axes: [N, C, ...sp] -> [N, C, 1, ...]. */
export const globalMaxPool = (x: Var) => maxPool('globalMaxPool', x, ops.globalMaxPool, ops.globalMaxPoolBackward);
/** Mean over the channels: [N, C, ...sp] -> [N, 1, ...sp]. */
export const channelMean = (x: Var) => meanPool('channelMean', x, ops.channelMean);
/** Max over the channels: [N, C, ...sp] -> [N, 1, ...sp]. */
export const channelMax = (x: Var) => maxPool('channelMax', x, ops.channelMax, ops.channelMaxBackward);
