/** permute, slice, expand (broadcastTo) and pad, each one strided kernel call, and their gradients. */
import { checkOptionNames } from '../core/opdefs/conv.js';
import {
  expandGeometry, padGeometry, permuteGeometry, sliceGeometry, type StridedGeometry,
} from '../core/opdefs/strided.js';
import { checkFinite } from '../core/shape.js';
import { checkTensor, expectShape, full, type Tensor } from '../core/tensor.js';
import { add, affine } from './elementwise.js';
import { backendOf, type BackendOption } from './options.js';
import { runKernel } from './run.js';
import { BACKEND_ONLY } from './util.js';

/** buffer -> window */
async function gather(g: StridedGeometry, x: Tensor, o: BackendOption | undefined, op: string): Promise<Tensor> {
  const [y] = await runKernel({ kernel: 'strided_copy', inputs: [x], outputs: [g.windowShape], params: g.params, backend: backendOf(o, op) });
  return y;
}

/** window -> zeroed buffer (adding where the window repeats an element) */
async function scatter(g: StridedGeometry, w: Tensor, o: BackendOption | undefined, op: string): Promise<Tensor> {
  const [y] = await runKernel({ kernel: 'strided_scatter_add', inputs: [w], outputs: [g.bufferShape], params: g.params, backend: backendOf(o, op) });
  return y;
}

/** y.shape[k] = x.shape[dims[k]] (PyTorch's permute). */
export async function permute(x: Tensor, dims: number[], o?: BackendOption): Promise<Tensor> {
  checkOptionNames('permute', o, BACKEND_ONLY);
  checkTensor(x, 'permute: x');
  return gather(permuteGeometry('permute', x.shape, dims), x, o, 'permute');
}

/** Gradient of permute(x, dims): dy permuted back. */
export async function permuteBackward(dy: Tensor, x: Tensor, dims: number[], o?: BackendOption): Promise<Tensor> {
  const op = 'permuteBackward';
  checkOptionNames(op, o, BACKEND_ONLY);
  checkTensor(dy, `${op}: dy`);
  checkTensor(x, `${op}: x`);
  const g = permuteGeometry(op, x.shape, dims);
  expectShape(dy, g.windowShape, `${op}: dy`);
  return scatter(g, dy, o, op);
}

/** x[begin[k] : begin[k] + size[k]] on every axis (negative begin counts from the end; size -1: to the end). */
export async function slice(x: Tensor, begin: number[], size: number[], o?: BackendOption): Promise<Tensor> {
  checkOptionNames('slice', o, BACKEND_ONLY);
  checkTensor(x, 'slice: x');
  return gather(sliceGeometry('slice', x.shape, begin, size), x, o, 'slice');
}

/** Gradient of slice: dy placed in a zero tensor of x's shape. */
export async function sliceBackward(dy: Tensor, x: Tensor, begin: number[], size: number[], o?: BackendOption): Promise<Tensor> {
  const op = 'sliceBackward';
  checkOptionNames(op, o, BACKEND_ONLY);
  checkTensor(dy, `${op}: dy`);
  checkTensor(x, `${op}: x`);
  const g = sliceGeometry(op, x.shape, begin, size);
  expectShape(dy, g.windowShape, `${op}: dy`);
  return scatter(g, dy, o, op);
}

/** Broadcasts x to `shape` (NumPy rules, x aligned to the right; -1 keeps x's size), as a new tensor. */
export async function expand(x: Tensor, shape: number[], o?: BackendOption): Promise<Tensor> {
  checkOptionNames('expand', o, BACKEND_ONLY);
  checkTensor(x, 'expand: x');
  return gather(expandGeometry('expand', x.shape, shape), x, o, 'expand');
}
export const broadcastTo = expand;

/** Gradient of expand(x, dy.shape): dy summed back onto x's shape. */
export async function expandBackward(dy: Tensor, x: Tensor, o?: BackendOption): Promise<Tensor> {
  const op = 'expandBackward';
  checkOptionNames(op, o, BACKEND_ONLY);
  checkTensor(dy, `${op}: dy`);
  checkTensor(x, `${op}: x`);
  return scatter(expandGeometry(op, x.shape, [...dy.shape]), dy, o, op);
}

export interface PadOptions extends BackendOption {
  /** value of the added border (default 0) */
  value?: number;
}
const PAD_OPTIONS = new Set(['value', 'backend']);

/** Pads every axis k of x with pads[k] = [before, after] elements of `value`. */
export async function pad(x: Tensor, pads: Array<[number, number]>, o?: PadOptions): Promise<Tensor> {
  const op = 'pad';
  checkOptionNames(op, o, PAD_OPTIONS);
  checkTensor(x, `${op}: x`);
  const value = checkFinite(o?.value ?? 0, `${op}: value`);
  const g = padGeometry(op, x.shape, pads);
  const y = await scatter(g, x, o, op);
  if (value === 0) return y;
  // y + value * (1 - mask), with mask = 1 under x: exact, since the border adds 0 to x and x adds 0 to it.
  const ones = full([...x.shape], 1);
  const mask = await scatter(g, ones, o, op);
  ones.dispose();
  const border = await affine(mask, -value, value, { backend: o?.backend });
  mask.dispose();
  const out = await add(y, border, { backend: o?.backend });
  y.dispose();
  border.dispose();
  return out;
}

/** Gradient of pad: the interior of dy. */
export async function padBackward(dy: Tensor, x: Tensor, pads: Array<[number, number]>, o?: BackendOption): Promise<Tensor> {
  const op = 'padBackward';
  checkOptionNames(op, o, BACKEND_ONLY);
  checkTensor(dy, `${op}: dy`);
  checkTensor(x, `${op}: x`);
  const g = padGeometry(op, x.shape, pads);
  expectShape(dy, g.bufferShape, `${op}: dy`);
  return gather(g, dy, o, op);
}
