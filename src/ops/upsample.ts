/** upsample (nearest, linear, bilinear, trilinear; PyTorch's F.interpolate) and its gradient. */
import { checkOptionNames } from '../core/opdefs/conv.js';
import { UPSAMPLE_OPTIONS, upsampleGeometry, type UpsampleOptions } from '../core/opdefs/upsample.js';
import { checkTensor, expectShape, type Tensor } from '../core/tensor.js';
import { backendOf, type BackendOption } from './options.js';
import { runKernel } from './run.js';

export type { UpsampleMode } from '../core/opdefs/upsample.js';
export interface UpsampleOpOptions extends UpsampleOptions, BackendOption {}

const KNOWN = new Set<string>([...UPSAMPLE_OPTIONS, 'backend']);

/** Resizes the spatial axes of x [N, C, L] / [N, C, H, W] / [N, C, D, H, W] to `size` or floor(in * scaleFactor). */
export async function upsample(x: Tensor, o: UpsampleOpOptions): Promise<Tensor> {
  const op = 'upsample';
  checkOptionNames(op, o, KNOWN);
  checkTensor(x, `${op}: x`);
  const g = upsampleGeometry(op, x.shape, o);
  const [y] = await runKernel({ kernel: 'upsample_forward', inputs: [x], outputs: [g.outShape], params: g.params, backend: backendOf(o, op) });
  return y;
}

/** Gradient of upsample(x, o) w.r.t. x, given dy (the gradient of its output); x gives the shape only. */
export async function upsampleBackward(dy: Tensor, x: Tensor, o: UpsampleOpOptions): Promise<Tensor> {
  const op = 'upsampleBackward';
  checkOptionNames(op, o, KNOWN);
  checkTensor(dy, `${op}: dy`);
  checkTensor(x, `${op}: x`);
  const g = upsampleGeometry(op, x.shape, o);
  expectShape(dy, g.outShape, `${op}: dy`);
  const [dx] = await runKernel({ kernel: 'upsample_backward', inputs: [dy], outputs: [x.shape], params: g.params, backend: backendOf(o, op) });
  return dx;
}
