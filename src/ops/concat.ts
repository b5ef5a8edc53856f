/** concat and split along one axis (chained beyond MAX_CONCAT pieces per kernel call) and the gradient of concat. */
import { InvalidArgumentError } from '../core/errors.js';
import { checkOptionNames } from '../core/opdefs/conv.js';
import { concatGeometry, concatParams, splitGeometry } from '../core/opdefs/concat.js';
import { MAX_CONCAT } from '../core/params.js';
import type { Shape } from '../core/shape.js';
import { checkTensor, expectShape, type Tensor } from '../core/tensor.js';
import type { BackendChoice } from '../backends/registry.js';
import { backendOf, type BackendOption } from './options.js';
import { runKernel } from './run.js';

export interface ConcatOptions extends BackendOption {
  /** the axis to join along (default 0); negative counts from the end */
  axis?: number;
}
const KNOWN = new Set(['axis', 'backend']);

function checkList(op: string, tensors: unknown): Tensor[] {
  if (!Array.isArray(tensors)) throw new InvalidArgumentError(`${op}: tensors must be an array of Tensors, got ${typeof tensors}`);
  return tensors.map((t, i) => checkTensor(t, `${op}: tensors[${i}]`));
}

/** Joins tensors along `axis`; they must match on every other axis. */
export async function concat(tensors: Tensor[], o?: ConcatOptions): Promise<Tensor> {
  const op = 'concat';
  checkOptionNames(op, o, KNOWN);
  const list = checkList(op, tensors);
  const { axis, outShape } = concatGeometry(op, list.map((t) => t.shape), o?.axis);
  const backend = backendOf(o, op);
  // up to MAX_CONCAT pieces per call; the result of one call is the first piece of the next
  let acc: Tensor | undefined;
  let rest = list;
  while (rest.length) {
    const take = acc ? rest.slice(0, MAX_CONCAT - 1) : rest.slice(0, MAX_CONCAT);
    rest = rest.slice(take.length);
    const pieces = acc ? [acc, ...take] : take;
    const sizes = pieces.map((t) => t.shape[axis]);
    const shape = outShape.map((d, k) => (k === axis ? sizes.reduce((p, q) => p + q, 0) : d));
    const prev = acc;
    try {
      [acc] = await runKernel({ kernel: 'concat', inputs: pieces, outputs: [shape], params: concatParams(shape, axis, sizes), backend });
    } finally {
      prev?.dispose();
    }
  }
  return acc!;
}

/** Cuts x along `axis` into pieces of the given sizes (summing to the axis size). */
export async function split(x: Tensor, sizes: number[], o?: ConcatOptions): Promise<Tensor[]> {
  const op = 'split';
  checkOptionNames(op, o, KNOWN);
  checkTensor(x, `${op}: x`);
  const g = splitGeometry(op, x.shape, sizes, o?.axis);
  return splitChecked(x, g.axis, g.sizes, g.shapes, backendOf(o, op));
}

async function splitChecked(x: Tensor, axis: number, sizes: number[], shapes: Shape[], backend: BackendChoice): Promise<Tensor[]> {
  if (sizes.length <= MAX_CONCAT)
    return runKernel({ kernel: 'split', inputs: [x], outputs: shapes, params: concatParams(x.shape, axis, sizes), backend });
  // the first MAX_CONCAT - 1 pieces and the remainder, which is split again
  const head = sizes.slice(0, MAX_CONCAT - 1);
  const restSize = sizes.slice(MAX_CONCAT - 1).reduce((p, q) => p + q, 0);
  const restShape = x.shape.map((d, k) => (k === axis ? restSize : d));
  const parts = await runKernel({
    kernel: 'split', inputs: [x], outputs: [...shapes.slice(0, MAX_CONCAT - 1), restShape], params: concatParams(x.shape, axis, [...head, restSize]), backend,
  });
  const rest = parts.pop()!;
  try {
    return [...parts, ...(await splitChecked(rest, axis, sizes.slice(MAX_CONCAT - 1), shapes.slice(MAX_CONCAT - 1), backend))];
  } finally {
    rest.dispose();
  }
}

/** Gradients of concat(tensors, o) given dy: dy split back into the inputs' sizes. */
export async function concatBackward(dy: Tensor, tensors: Tensor[], o?: ConcatOptions): Promise<Tensor[]> {
  const op = 'concatBackward';
  checkOptionNames(op, o, KNOWN);
  const list = checkList(op, tensors);
  const g = concatGeometry(op, list.map((t) => t.shape), o?.axis);
  expectShape(checkTensor(dy, `${op}: dy`), g.outShape, `${op}: dy`);
  return splitChecked(dy, g.axis, g.sizes, list.map((t) => t.shape), backendOf(o, op));
}
