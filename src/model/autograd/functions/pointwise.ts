/**
 * Pointwise differentiable functions: broadcasting add/sub/mul/div, affine, and the unary activations. Backward
 * formulas are written with these same functions (so they can be differentiated again); when nothing in a
 * backward requires a gradient, the fused `ops.*Backward` kernel is used instead (same values, one kernel).
 * Masks of piecewise-linear functions (relu, leaky relu, abs) are constants: their second derivative is zero.
 */
import * as ops from '../../../ops/index.js';
import type { Tensor } from '../../../core/tensor.js';
import { anyGrad, record, type Var } from '../var.js';
import { sumTo } from './shape.js';
import { constant, opts, scoped, withOnes } from './util.js';

type Grads = Promise<Array<Var | undefined>>;

/** Identity with a Var (and Tensor object) of its own, sharing the values. */
export async function alias(x: Var): Promise<Var> {
  return record('alias', x.value.reshape([...x.shape]), [x], async (gy) => [gy]);
}

export async function add(a: Var, b: Var): Promise<Var> {
  return record('add', await ops.add(a.value, b.value, opts(a, b)), [a, b], async (gy, [ai, bi], _y, needs): Grads => [
    needs[0] ? await sumTo(gy, ai.shape) : undefined,
    needs[1] ? await sumTo(gy, bi.shape) : undefined,
  ]);
}

export async function sub(a: Var, b: Var): Promise<Var> {
  return record('sub', await ops.sub(a.value, b.value, opts(a, b)), [a, b], async (gy, [ai, bi], _y, needs): Grads => [
    needs[0] ? await sumTo(gy, ai.shape) : undefined,
    needs[1] ? await scoped(async (t) => neg(await t(sumTo(gy, bi.shape)))) : undefined,
  ]);
}

export async function mul(a: Var, b: Var): Promise<Var> {
  return record('mul', await ops.mul(a.value, b.value, opts(a, b)), [a, b], async (gy, [ai, bi], _y, needs): Grads => [
    needs[0] ? await scoped(async (t) => sumTo(await t(mul(gy, bi)), ai.shape)) : undefined,
    needs[1] ? await scoped(async (t) => sumTo(await t(mul(gy, ai)), bi.shape)) : undefined,
  ]);
}

export async function div(a: Var, b: Var): Promise<Var> {
  return record('div', await ops.div(a.value, b.value, opts(a, b)), [a, b], async (gy, [ai, bi], y, needs): Grads => [
    // d(a/b)/da = 1/b; d(a/b)/db = -(a/b)/b
    needs[0] ? await scoped(async (t) => sumTo(await t(div(gy, bi)), ai.shape)) : undefined,
    needs[1] ? await scoped(async (t) => neg(await t(sumTo(await t(div(await t(mul(gy, y)), bi)), bi.shape)))) : undefined,
  ]);
}

/** scale * x + shift */
export async function affine(x: Var, scale: number, shift = 0): Promise<Var> {
  return record('affine', await ops.affine(x.value, scale, shift, opts(x)), [x], async (gy): Grads => [await affine(gy, scale, 0)]);
}

export const neg = (x: Var) => affine(x, -1, 0);
/** x * c for a number c */
export const scale = (x: Var, c: number) => affine(x, c, 0);
/** x + c for a number c */
export const addScalar = (x: Var, c: number) => affine(x, 1, c);

type FusedBackward = (dy: Tensor, x: Tensor, y: Tensor, o: object) => Promise<Tensor>;

/** dx = gy * mask, mask = fused(1, x, y): the exact derivative of a piecewise-linear function. */
async function maskGrad(gy: Var, x: Var, y: Var, fused: FusedBackward, o: object): Promise<Var> {
  if (!gy.requiresGrad) return constant(gy, fused(gy.value, x.value, y.value, o));
  const mask = await constant(gy, withOnes(x.shape, (ones) => fused(ones, x.value, y.value, o)));
  return mul(gy, mask);
}

export async function relu(x: Var): Promise<Var> {
  const o = opts(x);
  return record('relu', await ops.relu(x.value, o), [x], async (gy, [xi], y): Grads => [await maskGrad(gy, xi, y, ops.reluBackward, o)]);
}

export async function leakyRelu(x: Var, negativeSlope = 0.01): Promise<Var> {
  const o = { ...opts(x), negativeSlope };
  return record('leakyRelu', await ops.leakyRelu(x.value, o), [x], async (gy, [xi], y): Grads => [
    await maskGrad(gy, xi, y, ops.leakyReluBackward as FusedBackward, o),
  ]);
}

export async function abs(x: Var): Promise<Var> {
  const o = opts(x);
  return record('abs', await ops.abs(x.value, o), [x], async (gy, [xi], y): Grads => [await maskGrad(gy, xi, y, ops.absBackward, o)]);
}

export async function sigmoid(x: Var): Promise<Var> {
  const o = opts(x);
  return record('sigmoid', await ops.sigmoid(x.value, o), [x], async (gy, [xi], y): Grads => {
    if (!anyGrad(gy, y)) return [await constant(gy, ops.sigmoidBackward(gy.value, xi.value, y.value, o))];
    // gy * y * (1 - y)
    return [await scoped(async (t) => mul(gy, await t(mul(y, await t(affine(y, -1, 1))))))];
  });
}

export async function tanh(x: Var): Promise<Var> {
  const o = opts(x);
  return record('tanh', await ops.tanh(x.value, o), [x], async (gy, [xi], y): Grads => {
    if (!anyGrad(gy, y)) return [await constant(gy, ops.tanhBackward(gy.value, xi.value, y.value, o))];
    return [await scoped(async (t) => mul(gy, await t(affine(await t(square(y)), -1, 1))))];
  });
}

export async function exp(x: Var): Promise<Var> {
  return record('exp', await ops.exp(x.value, opts(x)), [x], async (gy, _x, y): Grads => [await mul(gy, y)]);
}

export async function log(x: Var): Promise<Var> {
  return record('log', await ops.log(x.value, opts(x)), [x], async (gy, [xi]): Grads => [await div(gy, xi)]);
}

export async function square(x: Var): Promise<Var> {
  return record('square', await ops.square(x.value, opts(x)), [x], async (gy, [xi]): Grads => [
    await scoped(async (t) => mul(gy, await t(affine(xi, 2, 0)))),
  ]);
}

export async function sqrt(x: Var): Promise<Var> {
  return record('sqrt', await ops.sqrt(x.value, opts(x)), [x], async (gy, _x, y): Grads => [
    await scoped(async (t) => div(gy, await t(affine(y, 2, 0)))),
  ]);
}
