/**
 * Concatenation geometry, declared once for every backend: inputs viewed as [outer, sizes[i], inner] around the
 * axis; one kernel call takes at most MAX_CONCAT inputs (or outputs, for split), longer lists are chained.
 */
import { InvalidArgumentError } from '../errors.js';
import { ConcatParams, MAX_CONCAT, pack } from '../params.js';
import { checkInt, checkSize, shapeString, sizeOf, type Shape } from '../shape.js';
import { normAxis } from './strided.js';


/** Params of one concat/split kernel call of `sizes.length` (<= MAX_CONCAT) pieces along `axis` of `shape`. */
export function concatParams(shape: Shape, axis: number, sizes: readonly number[]): Uint8Array {
  if (sizes.length > MAX_CONCAT) throw new InvalidArgumentError(`concat: one kernel call takes at most ${MAX_CONCAT} pieces, got ${sizes.length}`);
  return pack(ConcatParams, { outer: sizeOf(shape.slice(0, axis)), inner: sizeOf(shape.slice(axis + 1)), n: sizes.length, sizes: [...sizes] });
}

/** Validates the input shapes (same rank, equal except on axis) and returns the output shape. */
export function concatGeometry(op: string, shapes: readonly Shape[], axis: unknown = 0): { axis: number; outShape: number[]; sizes: number[] } {
  if (shapes.length === 0) throw new InvalidArgumentError(`${op}: needs at least one tensor`);
  const first = shapes[0];
  const a = normAxis(op, axis, first.length);
  shapes.forEach((s, i) => {
    if (s.length !== first.length || s.some((d, k) => k !== a && d !== first[k]))
      throw new InvalidArgumentError(`${op}: tensors[${i}] ${shapeString(s)} does not match tensors[0] ${shapeString(first)} outside axis ${a}`);
  });
  const sizes = shapes.map((s) => s[a]);
  const outShape = first.map((d, k) => (k === a ? sizes.reduce((p, q) => p + q, 0) : d));
  checkSize(sizeOf(outShape), `${op}: output ${shapeString(outShape)}`);
  return { axis: a, outShape, sizes };
}

/** Validates split sizes (positive, summing to the axis size) and returns the piece shapes. */
export function splitGeometry(op: string, shape: Shape, sizes: unknown, axis: unknown = 0): { axis: number; sizes: number[]; shapes: number[][] } {
  const a = normAxis(op, axis, shape.length);
  if (!Array.isArray(sizes) || sizes.length === 0)
    throw new InvalidArgumentError(`${op}: sizes must be a non-empty array of positive integers, got ${JSON.stringify(sizes)}`);
  const s = sizes.map((v, k) => checkInt(v, `${op}: sizes[${k}]`, 1));
  const total = s.reduce((p, q) => p + q, 0);
  if (total !== shape[a])
    throw new InvalidArgumentError(`${op}: sizes ${JSON.stringify(s)} sum to ${total}, axis ${a} of ${shapeString(shape)} has ${shape[a]}`);
  return { axis: a, sizes: s, shapes: s.map((n) => shape.map((d, k) => (k === a ? n : d))) };
}
