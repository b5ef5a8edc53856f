/** Differentiable shape functions: reshape, permute, slice, pad, concat, expand and sumTo (its adjoint). */
import { InvalidArgumentError } from '../../../core/errors.js';
import { sameShape, shapeString, sizeOf } from '../../../core/shape.js';
import { inversePermutation } from '../../../core/opdefs/strided.js';
import * as ops from '../../../ops/index.js';
import { record, type Var } from '../var.js';
import { constant, opts } from './util.js';

type Grads = Promise<Array<Var | undefined>>;

/** Same values, new shape (one axis may be -1). A view: no copy. */
export async function reshape(x: Var, shape: readonly number[]): Promise<Var> {
  const known = shape.filter((d) => d !== -1);
  const free = shape.length - known.length;
  if (free > 1) throw new InvalidArgumentError(`reshape: at most one axis may be -1, got ${shapeString(shape)}`);
  const s = free ? shape.map((d) => (d === -1 ? x.size / sizeOf(known) : d)) : [...shape];
  return record('reshape', x.value.reshape(s), [x], async (gy, [xi]): Grads => [await reshape(gy, xi.shape)]);
}

/** y.shape[k] = x.shape[dims[k]] */
export async function permute(x: Var, dims: readonly number[]): Promise<Var> {
  const d = dims.map((a) => (a < 0 ? a + x.shape.length : a));
  return record('permute', await ops.permute(x.value, d, opts(x)), [x], async (gy): Grads => [await permute(gy, inversePermutation(d))]);
}

/** Transpose of a 2D Var. */
export const transpose = (x: Var) => permute(x, [1, 0]);

/** x[begin[k] : begin[k] + size[k]] (negative begin counts from the end; size -1: to the end). */
export async function slice(x: Var, begin: readonly number[], size: readonly number[]): Promise<Var> {
  if (begin.length !== x.shape.length || size.length !== x.shape.length)
    throw new InvalidArgumentError(`slice: begin and size need ${x.shape.length} entries for ${shapeString(x.shape)}`);
  const b = begin.map((v, k) => (v < 0 ? v + x.shape[k] : v));
  const s = size.map((v, k) => (v === -1 ? x.shape[k] - b[k] : v));
  return record('slice', await ops.slice(x.value, b, s, opts(x)), [x], async (gy, [xi]): Grads => [
    await pad(gy, xi.shape.map((d, k) => [b[k], d - b[k] - s[k]] as [number, number])),
  ]);
}

/** Pads axis k with pads[k] = [before, after] elements of `value` (default 0). */
export async function pad(x: Var, pads: ReadonlyArray<readonly [number, number]>, value = 0): Promise<Var> {
  const p = pads.map(([a, b]) => [a, b] as [number, number]);
  return record('pad', await ops.pad(x.value, p, { ...opts(x), value }), [x], async (gy, [xi]): Grads => [
    await slice(gy, p.map(([a]) => a), [...xi.shape]),
  ]);
}

/** Joins Vars along `axis`. */
export async function concat(xs: readonly Var[], axis = 1): Promise<Var> {
  if (!xs.length) throw new InvalidArgumentError('concat: no inputs');
  const rank = xs[0].shape.length;
  const ax = axis < 0 ? axis + rank : axis;
  const y = xs.length === 1 ? xs[0].value.reshape([...xs[0].shape]) : await ops.concat(xs.map((v) => v.value), { ...opts(...xs), axis: ax });
  return record('concat', y, xs, async (gy, ins, _y, needs): Grads => {
    if (!gy.requiresGrad && needs.filter(Boolean).length > 1) {
      const parts = await ops.concatBackward(gy.value, ins.map((v) => v.value), { ...opts(gy), axis: ax });
      return Promise.all(parts.map(async (t, k) => {
        if (needs[k]) return constant(gy, t);
        t.dispose();
        return undefined;
      }));
    }
    const out: Array<Var | undefined> = [];
    let off = 0;
    for (let k = 0; k < ins.length; k++) {
      const n = ins[k].shape[ax];
      const begin = gy.shape.map((_, a) => (a === ax ? off : 0));
      const size = gy.shape.map((d, a) => (a === ax ? n : d));
      out.push(needs[k] ? await slice(gy, begin, size) : undefined);
      off += n;
    }
    return out;
  });
}

/** Broadcasts x to `shape` (NumPy rules, aligned to the right). */
export async function expand(x: Var, shape: readonly number[]): Promise<Var> {
  if (sameShape(x.shape, shape)) return reshape(x, shape);
  return record('expand', await ops.expand(x.value, [...shape], opts(x)), [x], async (gy, [xi]): Grads => [await sumTo(gy, xi.shape)]);
}

/** Sums x down to `shape` (the adjoint of broadcasting). Returns x itself when the shapes agree. */
export async function sumTo(x: Var, shape: readonly number[]): Promise<Var> {
  if (sameShape(x.shape, shape)) return x;
  return record('sumTo', await ops.sumTo(x.value, shape, opts(x)), [x], async (gy, [xi]): Grads => [await expand(gy, xi.shape)]);
}
