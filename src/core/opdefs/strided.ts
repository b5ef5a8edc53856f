/**
 * Strided views, declared once for every backend: permute, slice, expand (broadcastTo) and pad are each one
 * StridedParams window. The window has `shape`, walks the contiguous buffer of `inSize` elements with `strides`
 * from `offset`; strided_copy gathers the window (buffer -> window), strided_scatter_add adds the window back
 * into a zeroed buffer (window -> buffer). So slice is a copy whose backward is a scatter, and pad is a scatter
 * whose backward is a copy, with the same params.
 */
import { InvalidArgumentError } from '../errors.js';
import { MAX_RANK, pack, StridedParams } from '../params.js';
import { checkInt, checkSize, shapeString, sizeOf, stridesOf, type Shape } from '../shape.js';
import { normAxes } from './elementwise.js';

export interface StridedGeometry {
  /** packed StridedParams */
  params: Uint8Array;
  /** shape of the window side (the output of permute/slice/expand, the input of pad) */
  windowShape: number[];
  /** shape of the contiguous side (the input of permute/slice/expand, the output of pad) */
  bufferShape: number[];
}

/** One axis (an integer in [-rank, rank); negatives count from the end), normalised to [0, rank). */
export function normAxis(op: string, axis: unknown, rank: number): number {
  if (typeof axis !== 'number') throw new InvalidArgumentError(`${op}: axis must be an integer, got ${JSON.stringify(axis)}`);
  return normAxes(op, axis, rank)[0];
}

/** Drops size-1 axes and merges neighbours that walk the buffer contiguously, so deep views fit MAX_RANK. */
function simplify(shape: number[], strides: number[]): [number[], number[]] {
  const S: number[] = [], T: number[] = [];
  for (let k = 0; k < shape.length; k++) {
    if (shape[k] === 1) continue;
    const j = S.length - 1;
    if (j >= 0 && T[j] === strides[k] * shape[k]) {
      S[j] *= shape[k];
      T[j] = strides[k];
    } else {
      S.push(shape[k]);
      T.push(strides[k]);
    }
  }
  return S.length ? [S, T] : [[1], [0]];
}

function strided(op: string, windowShape: number[], strides: number[], offset: number, bufferShape: number[]): StridedGeometry {
  // the buffer is an existing tensor, or pad's output (checked by padGeometry)
  checkSize(sizeOf(windowShape), `${op}: output ${shapeString(windowShape)}`);
  const [shape, st] = simplify(windowShape, strides);
  if (shape.length > MAX_RANK)
    throw new InvalidArgumentError(`${op}: the view ${shapeString(windowShape)} of ${shapeString(bufferShape)} needs ${shape.length} axes, more than the ${MAX_RANK} a kernel takes`);
  return {
    params: pack(StridedParams, { rank: shape.length, offset, inSize: sizeOf(bufferShape), shape, strides: st }),
    windowShape,
    bufferShape: [...bufferShape],
  };
}

/** permute(x, dims): y.shape[k] = x.shape[dims[k]] (dims a permutation of 0..rank-1; negatives count from the end). */
export function permuteGeometry(op: string, x: Shape, dims: unknown): StridedGeometry & { dims: number[] } {
  const rank = x.length;
  if (!Array.isArray(dims) || dims.length !== rank)
    throw new InvalidArgumentError(`${op}: dims must be an array of ${rank} axes (a permutation for ${shapeString(x)}), got ${JSON.stringify(dims)}`);
  const d = dims.map((a) => normAxis(op, a, rank));
  if (new Set(d).size !== rank) throw new InvalidArgumentError(`${op}: dims ${JSON.stringify(dims)} repeat an axis (not a permutation)`);
  const xs = stridesOf(x);
  return { ...strided(op, d.map((a) => x[a]), d.map((a) => xs[a]), 0, [...x]), dims: d };
}

/** The permutation that undoes `dims`. */
export function inversePermutation(dims: readonly number[]): number[] {
  const inv = new Array<number>(dims.length);
  dims.forEach((a, k) => (inv[a] = k));
  return inv;
}

/**
 * slice(x, begin, size): y = x[begin[k] : begin[k] + size[k]] on every axis. A negative begin counts from the
 * end; size -1 means "to the end".
 */
export function sliceGeometry(op: string, x: Shape, begin: unknown, size: unknown): StridedGeometry {
  const rank = x.length;
  if (!Array.isArray(begin) || begin.length !== rank)
    throw new InvalidArgumentError(`${op}: begin must be an array of ${rank} integers for ${shapeString(x)}, got ${JSON.stringify(begin)}`);
  if (!Array.isArray(size) || size.length !== rank)
    throw new InvalidArgumentError(`${op}: size must be an array of ${rank} integers for ${shapeString(x)}, got ${JSON.stringify(size)}`);
  const b = begin.map((v, k) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -x[k] || v >= x[k])
      throw new InvalidArgumentError(`${op}: begin[${k}] = ${JSON.stringify(v)} is out of range for axis ${k} of size ${x[k]}`);
    return v < 0 ? v + x[k] : v;
  });
  const s = size.map((v, k) => {
    if (v === -1) return x[k] - b[k];
    const n = checkInt(v, `${op}: size[${k}]`, 1);
    if (b[k] + n > x[k])
      throw new InvalidArgumentError(`${op}: begin[${k}] + size[${k}] = ${b[k]} + ${n} exceeds axis ${k} of size ${x[k]} in ${shapeString(x)}`);
    return n;
  });
  const xs = stridesOf(x);
  return strided(op, s, xs, b.reduce((o, v, k) => o + v * xs[k], 0), [...x]);
}

/**
 * expand(x, shape): NumPy/PyTorch broadcasting of x to `shape` (x's axes align to the right; each is equal or
 * 1; -1 keeps x's size). The broadcast axes get stride 0.
 */
export function expandGeometry(op: string, x: Shape, shape: unknown): StridedGeometry {
  if (!Array.isArray(shape) || shape.length < x.length)
    throw new InvalidArgumentError(`${op}: shape must be an array of at least ${x.length} dimensions for ${shapeString(x)}, got ${JSON.stringify(shape)}`);
  const off = shape.length - x.length;
  const out = shape.map((v, k) => {
    if (v === -1 && k >= off) return x[k - off];
    return checkInt(v, `${op}: shape[${k}]`, 1);
  });
  const xs = stridesOf(x);
  const strides = out.map((d, k) => {
    if (k < off) return 0;
    const xd = x[k - off];
    if (xd === d) return xs[k - off];
    if (xd === 1) return 0;
    throw new InvalidArgumentError(`${op}: cannot expand ${shapeString(x)} to ${shapeString(out)} (axis ${k}: ${xd} is neither ${d} nor 1)`);
  });
  return strided(op, out, strides, 0, [...x]);
}

/** pad(x, pads): pads[k] = [before, after] (>= 0) for every axis k of x. The window is x inside the padded y. */
export function padGeometry(op: string, x: Shape, pads: unknown): StridedGeometry {
  const rank = x.length;
  if (!Array.isArray(pads) || pads.length !== rank)
    throw new InvalidArgumentError(`${op}: pads must be an array of ${rank} [before, after] pairs for ${shapeString(x)}, got ${JSON.stringify(pads)}`);
  const p = pads.map((pr, k) => {
    if (!Array.isArray(pr) || pr.length !== 2)
      throw new InvalidArgumentError(`${op}: pads[${k}] must be a [before, after] pair, got ${JSON.stringify(pr)}`);
    return [checkInt(pr[0], `${op}: pads[${k}][0]`, 0), checkInt(pr[1], `${op}: pads[${k}][1]`, 0)];
  });
  const y = x.map((d, k) => d + p[k][0] + p[k][1]);
  checkSize(sizeOf(y), `${op}: output ${shapeString(y)}`);
  const ys = stridesOf(y);
  return strided(op, [...x], ys, p.reduce((o, [before], k) => o + before * ys[k], 0), y);
}
