/** Geometry of broadcasting binary ops, unary ops and axis reductions, shared by every backend. */
import { InvalidArgumentError } from '../errors.js';
import {
  BinaryKind, BinaryParams, MAX_RANK, pack, ReduceKind, ReduceParams, UnaryKind, UnaryParams,
  type BinaryKindName, type ReduceKindName, type UnaryKindName,
} from '../params.js';
import { broadcastShapes, shapeString, sizeOf, stridesOf, type Shape } from '../shape.js';

export function unaryParams(kind: UnaryKindName, n: number, alpha = 0, beta = 0): Uint8Array {
  return pack(UnaryParams, { n, kind: UnaryKind[kind], alpha, beta });
}

/** Broadcast strides of `shape` inside `out` (0 where the operand is broadcast). */
function broadcastStrides(shape: Shape, out: Shape): number[] {
  const st = stridesOf(shape);
  const off = out.length - shape.length;
  return out.map((d, k) => (k < off || shape[k - off] === 1 ? 0 : st[k - off]));
}

/** Drops size-1 axes and merges neighbours that are contiguous for both operands, to fit MAX_RANK. */
function simplify(shape: number[], a: number[], b: number[]): [number[], number[], number[]] {
  const S: number[] = [], A: number[] = [], B: number[] = [];
  for (let k = 0; k < shape.length; k++) {
    if (shape[k] === 1) continue;
    const j = S.length - 1;
    if (j >= 0 && A[j] === a[k] * shape[k] && B[j] === b[k] * shape[k]) {
      S[j] *= shape[k];
      A[j] = a[k];
      B[j] = b[k];
    } else {
      S.push(shape[k]);
      A.push(a[k]);
      B.push(b[k]);
    }
  }
  if (!S.length) return [[1], [0], [0]];
  return [S, A, B];
}

export function binaryGeometry(op: string, kind: BinaryKindName, a: Shape, b: Shape): { params: Uint8Array; outShape: number[] } {
  const outShape = broadcastShapes(a, b, op);
  const [shape, aStrides, bStrides] = simplify(outShape, broadcastStrides(a, outShape), broadcastStrides(b, outShape));
  if (shape.length > MAX_RANK)
    throw new InvalidArgumentError(`${op}: broadcasting ${shapeString(a)} with ${shapeString(b)} needs more than ${MAX_RANK} axes`);
  return { params: pack(BinaryParams, { kind: BinaryKind[kind], rank: shape.length, shape, aStrides, bStrides }), outShape };
}

/** Normalises `axis` (number, list or undefined = all) to a sorted list of distinct axes. */
export function normAxes(op: string, axis: number | number[] | undefined, rank: number): number[] {
  const list = axis === undefined ? [...Array(rank).keys()] : Array.isArray(axis) ? axis : [axis];
  const out = list.map((a) => {
    if (!Number.isInteger(a) || a < -rank || a >= rank) throw new InvalidArgumentError(`${op}: axis ${a} is out of range for rank ${rank}`);
    return a < 0 ? a + rank : a;
  });
  const set = [...new Set(out)].sort((p, q) => p - q);
  if (set.length !== out.length) throw new InvalidArgumentError(`${op}: axis ${JSON.stringify(axis)} repeats an axis`);
  return set;
}

/** Splits sorted axes into runs of neighbours, each one [outer, reduce, inner] kernel call. */
export function axisRuns(axes: number[]): number[][] {
  const runs: number[][] = [];
  for (const a of axes) {
    const last = runs[runs.length - 1];
    if (last && last[last.length - 1] === a - 1) last.push(a);
    else runs.push([a]);
  }
  return runs;
}

/** Params of reducing the contiguous run of axes [first, last] of `shape`; the output keeps them as size 1. */
export function reduceGeometry(kind: ReduceKindName, shape: Shape, first: number, last: number): { params: Uint8Array; outShape: number[] } {
  const outer = sizeOf(shape.slice(0, first));
  const reduce = sizeOf(shape.slice(first, last + 1));
  const inner = sizeOf(shape.slice(last + 1));
  const outShape = shape.map((d, k) => (k >= first && k <= last ? 1 : d));
  return { params: pack(ReduceParams, { outer, reduce, inner, kind: ReduceKind[kind] }), outShape };
}
