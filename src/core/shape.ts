/** Shape helpers and argument checks shared by every op and backend. */
import { InvalidArgumentError, OutOfMemoryError } from './errors.js';

/** Largest element count of one tensor: kernels index with int32 and params are int32. */
export const MAX_ELEMENTS = 2 ** 31 - 1;

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeString(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Checks that `shape` is an array of positive integers whose product fits a tensor. */
export function checkShape(shape: unknown, what: string): asserts shape is number[] {
  if (!Array.isArray(shape)) throw new InvalidArgumentError(`${what} must be an array of dimensions, got ${typeof shape}`);
  if (shape.length === 0) throw new InvalidArgumentError(`${what} must have at least one dimension`);
  for (const d of shape)
    if (typeof d !== 'number' || !Number.isInteger(d) || d <= 0)
      throw new InvalidArgumentError(`${what} ${JSON.stringify(shape)} must hold positive integers, got ${String(d)}`);
  checkSize(sizeOf(shape), `${what} ${shapeString(shape)}`);
}

/** Refuses element counts that would not fit (before anything is allocated). */
export function checkSize(n: number, what: string): void {
  if (n > MAX_ELEMENTS)
    throw new OutOfMemoryError(`${what} has ${n.toExponential(3)} elements, more than the ${MAX_ELEMENTS} a tensor can hold`);
}

export function checkInt(v: unknown, what: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new InvalidArgumentError(`${what} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

export function checkFinite(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidArgumentError(`${what} must be a finite number, got ${String(v)}`);
  return v;
}

/** An int or a tuple of `n` ints (PyTorch's convention for stride/padding/dilation/size), each >= min. */
export function tupleOf(v: unknown, n: number, what: string, min: number): number[] {
  if (typeof v === 'number') return new Array(n).fill(checkInt(v, what, min));
  if (Array.isArray(v) && v.length === n) return v.map((x, k) => checkInt(x, `${what}[${k}]`, min));
  throw new InvalidArgumentError(`${what} must be an integer or an array of ${n} integers, got ${JSON.stringify(v)}`);
}

/** Contiguous (row-major) strides of a shape. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    s[k] = acc;
    acc *= shape[k];
  }
  return s;
}

/** NumPy broadcasting of two shapes; throws naming both shapes when they do not broadcast. */
export function broadcastShapes(a: Shape, b: Shape, what: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let k = 0; k < rank; k++) {
    const da = a[a.length - rank + k] ?? 1;
    const db = b[b.length - rank + k] ?? 1;
    if (da !== db && da !== 1 && db !== 1)
      throw new InvalidArgumentError(`${what}: shapes ${shapeString(a)} and ${shapeString(b)} do not broadcast (axis ${k}: ${da} vs ${db})`);
    out.push(Math.max(da, db));
  }
  return out;
}
