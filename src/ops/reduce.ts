/**
 * Reductions with a fixed layout (global pooling over the spatial axes, channel mean/max for CBAM's spatial
 * attention) and the gradient of every reduction, including sum/mean/max over arbitrary axes.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { checkOptionNames } from '../core/opdefs/conv.js';
import { normAxes, reduceGeometry } from '../core/opdefs/elementwise.js';
import { inversePermutation } from '../core/opdefs/strided.js';
import type { ReduceKindName } from '../core/params.js';
import { shapeString, type Shape } from '../core/shape.js';
import { checkTensor, expectShape, type Tensor } from '../core/tensor.js';
import type { BackendChoice } from '../backends/registry.js';
import { backendOf, type BackendOption } from './options.js';
import { runKernel } from './run.js';
import { permute } from './strided.js';
import { BACKEND_ONLY, withTemps } from './util.js';

/** The contiguous axes [first, last] a fixed-layout reduction of x [N, C, ...spatial] covers. */
function poolAxes(op: string, x: Tensor, over: 'spatial' | 'channels'): [number, number] {
  checkTensor(x, `${op}: x`);
  const min = over === 'spatial' ? 3 : 2;
  if (x.shape.length < min)
    throw new InvalidArgumentError(`${op}: input must have rank >= ${min} ([N, C, ...spatial]), got ${shapeString(x.shape)}`);
  return over === 'spatial' ? [2, x.shape.length - 1] : [1, 1];
}

async function pool(op: string, kind: ReduceKindName, over: 'spatial' | 'channels', x: Tensor, o?: BackendOption): Promise<Tensor> {
  checkOptionNames(op, o, BACKEND_ONLY);
  const [first, last] = poolAxes(op, x, over);
  const g = reduceGeometry(kind, x.shape, first, last);
  const [y] = await runKernel({ kernel: 'reduce_forward', inputs: [x], outputs: [g.outShape], params: g.params, backend: backendOf(o, op) });
  return y;
}

/** dx of a reduction of x over the contiguous axes [first, last] (kept as size 1 in y and dy). */
async function reduceRunBackward(kind: ReduceKindName, dy: Tensor, x: Tensor, y: Tensor | undefined, first: number, last: number, backend: BackendChoice): Promise<Tensor> {
  const g = reduceGeometry(kind, x.shape, first, last);
  return withTemps(async (temp) => {
    const dyK = await temp(dy.reshape(g.outShape));
    // sum and mean do not read y; the kernel takes one anyway (dy has its shape)
    let yK = dyK;
    if (y) yK = await temp(y.reshape(g.outShape));
    else if (kind === 'max') yK = await temp(runKernel({ kernel: 'reduce_forward', inputs: [x], outputs: [g.outShape], params: g.params, backend }).then((r) => r[0]));
    const [dx] = await runKernel({ kernel: 'reduce_backward', inputs: [x, yK, dyK], outputs: [x.shape], params: g.params, backend });
    return dx;
  });
}

async function poolBackward(op: string, kind: ReduceKindName, over: 'spatial' | 'channels', dy: Tensor, x: Tensor, y: Tensor | undefined, o?: BackendOption): Promise<Tensor> {
  checkOptionNames(op, o, BACKEND_ONLY);
  checkTensor(dy, `${op}: dy`);
  const [first, last] = poolAxes(op, x, over);
  const outShape = x.shape.map((d, k) => (k >= first && k <= last ? 1 : d));
  expectShape(dy, outShape, `${op}: dy`);
  if (y !== undefined) expectShape(checkTensor(y, `${op}: y`), outShape, `${op}: y`);
  return reduceRunBackward(kind, dy, x, y, first, last, backendOf(o, op));
}

/** Mean over the spatial axes: [N, C, ...spatial] -> [N, C, 1, ...]. */
export const globalAvgPool = (x: Tensor, o?: BackendOption) => pool('globalAvgPool', 'mean', 'spatial', x, o);
/** Max over the spatial axes: [N, C, ...spatial] -> [N, C, 1, ...]. */
export const globalMaxPool = (x: Tensor, o?: BackendOption) => pool('globalMaxPool', 'max', 'spatial', x, o);
/** Mean over the channels: [N, C, ...spatial] -> [N, 1, ...spatial]. */
export const channelMean = (x: Tensor, o?: BackendOption) => pool('channelMean', 'mean', 'channels', x, o);
/** Max over the channels: [N, C, ...spatial] -> [N, 1, ...spatial]. */
export const channelMax = (x: Tensor, o?: BackendOption) => pool('channelMax', 'max', 'channels', x, o);

export const globalAvgPoolBackward = (dy: Tensor, x: Tensor, o?: BackendOption) => poolBackward('globalAvgPoolBackward', 'mean', 'spatial', dy, x, undefined, o);
/** y (the forward output) is recomputed when not given; the gradient goes to the maximum of each window. */
export const globalMaxPoolBackward = (dy: Tensor, x: Tensor, y?: Tensor, o?: BackendOption) => poolBackward('globalMaxPoolBackward', 'max', 'spatial', dy, x, y, o);
export const channelMeanBackward = (dy: Tensor, x: Tensor, o?: BackendOption) => poolBackward('channelMeanBackward', 'mean', 'channels', dy, x, undefined, o);
export const channelMaxBackward = (dy: Tensor, x: Tensor, y?: Tensor, o?: BackendOption) => poolBackward('channelMaxBackward', 'max', 'channels', dy, x, y, o);

export interface ReduceBackwardOptions extends BackendOption {
  /** which reduction: 'sum', 'mean' or 'max' (ops.sum / ops.mean / ops.max) */
  kind: ReduceKindName;
  /** the forward's axes (default: all) */
  axis?: number | number[];
  /** the forward's keepDims (default false): the shape dy has */
  keepDims?: boolean;
  /** the forward's output, for 'max' (recomputed when not given) */
  y?: Tensor;
}
const REDUCE_BACKWARD_OPTIONS = new Set(['kind', 'axis', 'keepDims', 'y', 'backend']);
const KINDS: readonly ReduceKindName[] = ['sum', 'mean', 'max'];

/**
 * Gradient of ops.sum / ops.mean / ops.max(x, {axis, keepDims}) w.r.t. x. Axes that are not neighbours are
 * moved to the end first (one permute each way), so that every case is a single reduce_backward call.
 */
export async function reduceBackward(dy: Tensor, x: Tensor, o: ReduceBackwardOptions): Promise<Tensor> {
  const op = 'reduceBackward';
  checkOptionNames(op, o, REDUCE_BACKWARD_OPTIONS);
  checkTensor(dy, `${op}: dy`);
  checkTensor(x, `${op}: x`);
  if (!KINDS.includes(o?.kind)) throw new InvalidArgumentError(`${op}: kind must be one of ${KINDS.join(', ')}, got ${JSON.stringify(o?.kind)}`);
  const rank = x.shape.length;
  const axes = normAxes(op, o.axis, rank);
  const keep = o.keepDims ?? false;
  if (typeof keep !== 'boolean') throw new InvalidArgumentError(`${op}: keepDims must be a boolean, got ${JSON.stringify(keep)}`);
  const kept: Shape = x.shape.map((d, k) => (axes.includes(k) ? 1 : d));
  const dropped = x.shape.filter((_, k) => !axes.includes(k));
  const yShape = keep ? kept : dropped.length ? dropped : [1];
  expectShape(dy, yShape, `${op}: dy`);
  if (o.y !== undefined) expectShape(checkTensor(o.y, `${op}: y`), yShape, `${op}: y`);
  const backend = backendOf(o, op);
  const contiguous = axes[axes.length - 1] - axes[0] === axes.length - 1;
  if (contiguous) return reduceRunBackward(o.kind, dy, x, o.y, axes[0], axes[axes.length - 1], backend);
  return withTemps(async (temp) => {
    const perm = [...[...Array(rank).keys()].filter((k) => !axes.includes(k)), ...axes];
    const xp = await temp(permute(x, perm, { backend }));
    const dxp = await temp(reduceRunBackward(o.kind, dy, xp, o.y, rank - axes.length, rank - 1, backend));
    return permute(dxp, inversePermutation(perm), { backend });
  });
}
