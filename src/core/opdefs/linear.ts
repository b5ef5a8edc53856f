/**
 * Matrix products, declared once for every backend: linear (x [..., in] by W [out, in], PyTorch's layout) and
 * 2D matmul, and their gradients, each one GemmParams call C[M, N] = op(A) op(B) (+ bias[N]).
 */
import { InvalidArgumentError } from '../errors.js';
import { GemmParams, pack } from '../params.js';
import { checkSize, shapeString, sizeOf, type Shape } from '../shape.js';

export interface GemmCall {
  params: Uint8Array;
  /** shape of C */
  outShape: number[];
}

/** C [M, N] = op(A) op(B) (+ bias); transA: A is stored [K, M]; transB: B is stored [N, K]. */
export function gemmCall(M: number, N: number, K: number, transA: boolean, transB: boolean, hasBias: boolean): GemmCall {
  return {
    params: pack(GemmParams, { M, N, K, transA: transA ? 1 : 0, transB: transB ? 1 : 0, hasBias: hasBias ? 1 : 0 }),
    outShape: [M, N],
  };
}

export interface LinearGeometry {
  /** rows of x viewed as [M, in] */
  M: number;
  inF: number;
  outF: number;
  /** y = x W^T + b as one gemm */
  forward: GemmCall;
  outShape: number[];
}

/** linear: x [..., in] (rank >= 1), w [out, in] -> y [..., out]. */
export function linearGeometry(op: string, x: Shape, w: Shape, hasBias: boolean): LinearGeometry {
  if (w.length !== 2) throw new InvalidArgumentError(`${op}: weight must have rank 2 [out, in], got ${shapeString(w)}`);
  const [outF, inF] = w;
  const xin = x[x.length - 1];
  if (xin !== inF)
    throw new InvalidArgumentError(`${op}: input ${shapeString(x)} has ${xin} features in its last axis, weight ${shapeString(w)} expects ${inF}`);
  const M = sizeOf(x.slice(0, -1));
  const outShape = [...x.slice(0, -1), outF];
  checkSize(sizeOf(outShape), `${op}: output ${shapeString(outShape)}`);
  return { M, inF, outF, forward: gemmCall(M, outF, inF, false, true, hasBias), outShape };
}

/** matmul: a [M, K] @ b [K, N] -> [M, N]. */
export function matmulGeometry(op: string, a: Shape, b: Shape): { M: number; N: number; K: number; forward: GemmCall } {
  if (a.length !== 2) throw new InvalidArgumentError(`${op}: a must have rank 2 [M, K], got ${shapeString(a)}`);
  if (b.length !== 2) throw new InvalidArgumentError(`${op}: b must have rank 2 [K, N], got ${shapeString(b)}`);
  const [M, K] = a;
  const [Kb, N] = b;
  if (K !== Kb) throw new InvalidArgumentError(`${op}: inner dimensions differ: a ${shapeString(a)} has ${K} columns, b ${shapeString(b)} has ${Kb} rows`);
  checkSize(M * N, `${op}: output ${shapeString([M, N])}`);
  return { M, N, K, forward: gemmCall(M, N, K, false, false, false) };
}
