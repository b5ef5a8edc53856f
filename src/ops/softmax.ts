/** softmax over one axis (default: the channels of [N, C, ...]) and its gradient. */
import { checkOptionNames } from '../core/opdefs/conv.js';
import { softmaxGeometry } from '../core/opdefs/softmax.js';
import { checkTensor, expectShape, type Tensor } from '../core/tensor.js';
import { backendOf, type BackendOption } from './options.js';
import { runKernel } from './run.js';

export interface SoftmaxOptions extends BackendOption {
  /** the axis to normalise over (default 1, the channels); negative counts from the end */
  axis?: number;
}
const KNOWN = new Set(['axis', 'backend']);

export async function softmax(x: Tensor, o?: SoftmaxOptions): Promise<Tensor> {
  const op = 'softmax';
  checkOptionNames(op, o, KNOWN);
  checkTensor(x, `${op}: x`);
  const g = softmaxGeometry(op, x.shape, o?.axis);
  const [y] = await runKernel({ kernel: 'softmax_forward', inputs: [x], outputs: [x.shape], params: g.params, backend: backendOf(o, op) });
  return y;
}

/** Gradient of y = softmax(x, o) w.r.t. x, from y and dy: dx = y * (dy - sum(dy * y, axis)). */
export async function softmaxBackward(dy: Tensor, y: Tensor, o?: SoftmaxOptions): Promise<Tensor> {
  const op = 'softmaxBackward';
  checkOptionNames(op, o, KNOWN);
  checkTensor(dy, `${op}: dy`);
  checkTensor(y, `${op}: y`);
  expectShape(dy, y.shape, `${op}: dy`);
  const g = softmaxGeometry(op, y.shape, o?.axis);
  const [dx] = await runKernel({ kernel: 'softmax_backward', inputs: [y, dy], outputs: [y.shape], params: g.params, backend: backendOf(o, op) });
  return dx;
}
