/** Unary and broadcasting binary ops, axis reductions, and their gradients. */
import { InvalidArgumentError } from '../core/errors.js';
import { axisRuns, binaryGeometry, normAxes, reduceGeometry, unaryParams } from '../core/opdefs/elementwise.js';
import type { BinaryKindName, ReduceKindName, UnaryKindName } from '../core/params.js';
import { checkFinite, sameShape, shapeString, type Shape } from '../core/shape.js';
import { checkTensor, expectShape, type Tensor } from '../core/tensor.js';
import { backendOf, type BackendOption } from './options.js';
import { runKernel } from './run.js';

async function unary(op: string, kind: UnaryKindName, x: Tensor, o: BackendOption | undefined, alpha = 0, beta = 0): Promise<Tensor> {
  checkTensor(x, `${op}: x`);
  const [y] = await runKernel({ kernel: 'unary_forward', inputs: [x], outputs: [x.shape], params: unaryParams(kind, x.size, alpha, beta), backend: backendOf(o, op) });
  return y;
}

/** dx of a unary op from x, its output y and the incoming gradient dy. */
async function unaryGrad(op: string, kind: UnaryKindName, dy: Tensor, x: Tensor, y: Tensor, o: BackendOption | undefined, alpha = 0, beta = 0): Promise<Tensor> {
  checkTensor(dy, `${op}: dy`);
  checkTensor(x, `${op}: x`);
  checkTensor(y, `${op}: y`);
  expectShape(dy, x.shape, `${op}: dy`);
  expectShape(y, x.shape, `${op}: y`);
  const [dx] = await runKernel({ kernel: 'unary_backward', inputs: [x, y, dy], outputs: [x.shape], params: unaryParams(kind, x.size, alpha, beta), backend: backendOf(o, op) });
  return dx;
}

export interface LeakyReluOptions extends BackendOption {
  /** slope for x < 0 (PyTorch's default 0.01) */
  negativeSlope?: number;
}
const slopeOf = (o?: LeakyReluOptions) => checkFinite(o?.negativeSlope ?? 0.01, 'leakyRelu: negativeSlope');

export const relu = (x: Tensor, o?: BackendOption) => unary('relu', 'relu', x, o);
export const leakyRelu = (x: Tensor, o?: LeakyReluOptions) => unary('leakyRelu', 'leakyRelu', x, o, slopeOf(o));
export const sigmoid = (x: Tensor, o?: BackendOption) => unary('sigmoid', 'sigmoid', x, o);
export const tanh = (x: Tensor, o?: BackendOption) => unary('tanh', 'tanh', x, o);
export const exp = (x: Tensor, o?: BackendOption) => unary('exp', 'exp', x, o);
export const log = (x: Tensor, o?: BackendOption) => unary('log', 'log', x, o);
export const abs = (x: Tensor, o?: BackendOption) => unary('abs', 'abs', x, o);
export const square = (x: Tensor, o?: BackendOption) => unary('square', 'square', x, o);
export const sqrt = (x: Tensor, o?: BackendOption) => unary('sqrt', 'sqrt', x, o);
export const neg = (x: Tensor, o?: BackendOption) => unary('neg', 'neg', x, o);
/** scale * x + shift */
export const affine = (x: Tensor, scale: number, shift = 0, o?: BackendOption) =>
  unary('affine', 'affine', x, o, checkFinite(scale, 'affine: scale'), checkFinite(shift, 'affine: shift'));

export const reluBackward = (dy: Tensor, x: Tensor, y: Tensor, o?: BackendOption) => unaryGrad('reluBackward', 'relu', dy, x, y, o);
export const leakyReluBackward = (dy: Tensor, x: Tensor, y: Tensor, o?: LeakyReluOptions) => unaryGrad('leakyReluBackward', 'leakyRelu', dy, x, y, o, slopeOf(o));
export const sigmoidBackward = (dy: Tensor, x: Tensor, y: Tensor, o?: BackendOption) => unaryGrad('sigmoidBackward', 'sigmoid', dy, x, y, o);
export const tanhBackward = (dy: Tensor, x: Tensor, y: Tensor, o?: BackendOption) => unaryGrad('tanhBackward', 'tanh', dy, x, y, o);
export const expBackward = (dy: Tensor, x: Tensor, y: Tensor, o?: BackendOption) => unaryGrad('expBackward', 'exp', dy, x, y, o);
export const logBackward = (dy: Tensor, x: Tensor, y: Tensor, o?: BackendOption) => unaryGrad('logBackward', 'log', dy, x, y, o);
export const absBackward = (dy: Tensor, x: Tensor, y: Tensor, o?: BackendOption) => unaryGrad('absBackward', 'abs', dy, x, y, o);
export const squareBackward = (dy: Tensor, x: Tensor, y: Tensor, o?: BackendOption) => unaryGrad('squareBackward', 'square', dy, x, y, o);
export const sqrtBackward = (dy: Tensor, x: Tensor, y: Tensor, o?: BackendOption) => unaryGrad('sqrtBackward', 'sqrt', dy, x, y, o);

async function binary(op: string, kind: BinaryKindName, a: Tensor, b: Tensor, o: BackendOption | undefined): Promise<Tensor> {
  checkTensor(a, `${op}: a`);
  checkTensor(b, `${op}: b`);
  const g = binaryGeometry(op, kind, a.shape, b.shape);
  const [y] = await runKernel({ kernel: 'binary_forward', inputs: [a, b], outputs: [g.outShape], params: g.params, backend: backendOf(o, op) });
  return y;
}

/** Broadcasting a + b (NumPy rules). */
export const add = (a: Tensor, b: Tensor, o?: BackendOption) => binary('add', 'add', a, b, o);
export const sub = (a: Tensor, b: Tensor, o?: BackendOption) => binary('sub', 'sub', a, b, o);
export const mul = (a: Tensor, b: Tensor, o?: BackendOption) => binary('mul', 'mul', a, b, o);
export const div = (a: Tensor, b: Tensor, o?: BackendOption) => binary('div', 'div', a, b, o);
export const maximum = (a: Tensor, b: Tensor, o?: BackendOption) => binary('maximum', 'max', a, b, o);
export const minimum = (a: Tensor, b: Tensor, o?: BackendOption) => binary('minimum', 'min', a, b, o);

export interface ReduceOptions extends BackendOption {
  /** axes to reduce (default: all); negative counts from the end */
  axis?: number | number[];
  /** keep reduced axes as size 1 (default false) */
  keepDims?: boolean;
}

async function reduce(op: string, kind: ReduceKindName, x: Tensor, o: ReduceOptions | undefined): Promise<Tensor> {
  checkTensor(x, `${op}: x`);
  const axes = normAxes(op, o?.axis, x.shape.length);
  const backend = backendOf(o, op);
  let cur = x;
  // One kernel call per run of neighbouring axes; sum of means is mean only when scaled by the run sizes, so
  // mean reduces by sum and scales once at the end.
  const stepKind: ReduceKindName = kind === 'mean' ? 'sum' : kind;
  let count = 1;
  for (const run of axisRuns(axes)) {
    const g = reduceGeometry(stepKind, cur.shape, run[0], run[run.length - 1]);
    count *= run.reduce((n, a) => n * x.shape[a], 1);
    const [y] = await runKernel({ kernel: 'reduce_forward', inputs: [cur], outputs: [g.outShape], params: g.params, backend });
    if (cur !== x) cur.dispose();
    cur = y;
  }
  if (cur === x) cur = x.reshape([...x.shape]);
  if (kind === 'mean' && count !== 1) {
    const scaled = await affine(cur, 1 / count, 0, o);
    cur.dispose();
    cur = scaled;
  }
  const keep = o?.keepDims ?? false;
  const outShape = keep ? cur.shape : x.shape.filter((_, k) => !axes.includes(k));
  return sameShape(outShape, cur.shape) ? cur : reshapeOwned(cur, outShape.length ? [...outShape] : [1]);
}

function reshapeOwned(t: Tensor, shape: number[]): Tensor {
  const r = t.reshape(shape);
  t.dispose();
  return r;
}

export const sum = (x: Tensor, o?: ReduceOptions) => reduce('sum', 'sum', x, o);
export const mean = (x: Tensor, o?: ReduceOptions) => reduce('mean', 'mean', x, o);
export const max = (x: Tensor, o?: ReduceOptions) => reduce('max', 'max', x, o);

/** Sums `t` down to `shape` (the reverse of broadcasting): the gradient of a broadcast operand. */
export async function sumTo(t: Tensor, shape: Shape, o?: BackendOption): Promise<Tensor> {
  checkTensor(t, 'sumTo: t');
  if (sameShape(t.shape, shape)) return t.reshape([...shape]);
  const off = t.shape.length - shape.length;
  if (off < 0) throw new InvalidArgumentError(`sumTo: cannot sum ${shapeString(t.shape)} to the larger rank ${shapeString(shape)}`);
  const axes: number[] = [];
  t.shape.forEach((d, k) => {
    const want = k < off ? 1 : shape[k - off];
    if (want === 1 && d !== 1) axes.push(k);
    else if (want !== d) throw new InvalidArgumentError(`sumTo: ${shapeString(t.shape)} does not broadcast from ${shapeString(shape)}`);
  });
  const r = await sum(t, { axis: axes, keepDims: true, backend: o?.backend });
  return reshapeOwned(r, [...shape]);
}

export interface BinaryGrads {
  da: Tensor;
  db: Tensor;
}

/**
 * Gradients of add/sub/mul/div/maximum/minimum w.r.t. both (possibly broadcast) operands. maximum/minimum send
 * the gradient to the larger/smaller operand and split it evenly at ties (as PyTorch does).
 */
export async function binaryBackward(op: 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum', dy: Tensor, a: Tensor, b: Tensor, o?: BackendOption): Promise<BinaryGrads> {
  const name = `${op}Backward`;
  checkTensor(dy, `${name}: dy`);
  checkTensor(a, `${name}: a`);
  checkTensor(b, `${name}: b`);
  const backend = o?.backend;
  const tmp: Tensor[] = [];
  const keep = async (p: Promise<Tensor>) => {
    const t = await p;
    tmp.push(t);
    return t;
  };
  try {
    let ga: Tensor, gb: Tensor;
    if (op === 'add') [ga, gb] = [dy, dy];
    else if (op === 'sub') [ga, gb] = [dy, await keep(neg(dy, { backend }))];
    else if (op === 'mul') [ga, gb] = [await keep(mul(dy, b, { backend })), await keep(mul(dy, a, { backend }))];
    else if (op === 'maximum' || op === 'minimum') {
      const mask = await keep(op === 'maximum' ? binary(name, 'step', a, b, o) : binary(name, 'step', b, a, o));
      ga = await keep(mul(dy, mask, { backend }));
      gb = await keep(sub(dy, ga, { backend }));
    } else {
      // d(a/b)/da = 1/b, d(a/b)/db = -a/b² = -(a/b)/b
      ga = await keep(div(dy, b, { backend }));
      gb = await keep(neg(await keep(div(await keep(mul(ga, a, { backend })), b, { backend })), { backend }));
    }
    return { da: await sumTo(ga, a.shape, { backend }), db: await sumTo(gb, b.shape, { backend }) };
  } finally {
    tmp.forEach((t) => t.dispose());
  }
}
