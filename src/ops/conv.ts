/** conv1d/2d/3d, convTranspose1d/2d/3d and their gradients (PyTorch layouts and semantics). */
import { convGeometry, convTransposeGeometry, checkOptionNames, type ConvOptions, type ConvTransposeOptions } from '../core/opdefs/conv.js';
import { checkTensor, expectShape, type Tensor } from '../core/tensor.js';
import { add, sumTo } from './elementwise.js';
import { backendOf, type BackendOption } from './options.js';
import { runKernel } from './run.js';

export interface ConvOpOptions extends ConvOptions, BackendOption {
  /** [Cout] */
  bias?: Tensor;
}
export interface ConvTransposeOpOptions extends ConvTransposeOptions, BackendOption {
  /** [Cout] */
  bias?: Tensor;
}

export interface ConvGrads {
  dx: Tensor;
  dw: Tensor;
  /** present when the op had a bias (pass `bias` in the options) */
  db?: Tensor;
}

function checkBias(op: string, bias: unknown, Cout: number): Tensor | undefined {
  if (bias === undefined) return undefined;
  const b = checkTensor(bias, `${op}: bias`, [1]);
  expectShape(b, [Cout], `${op}: bias`);
  return b;
}

async function conv(nd: number, x: Tensor, w: Tensor, o: ConvOpOptions = {}): Promise<Tensor> {
  const op = `conv${nd}d`;
  checkOptionNames(op, o);
  checkTensor(x, `${op}: x`);
  checkTensor(w, `${op}: weight`);
  const g = convGeometry(op, nd, x.shape, w.shape, o.bias !== undefined, o);
  const bias = checkBias(op, o.bias, g.Cout);
  const [y] = await runKernel({ kernel: 'conv_forward', inputs: bias ? [x, w, bias] : [x, w], outputs: [g.outShape], params: g.params, backend: backendOf(o, op) });
  return y;
}

/** Gradients of conv{nd}d given dy (the gradient of its output). */
async function convBackward(nd: number, dy: Tensor, x: Tensor, w: Tensor, o: ConvOpOptions = {}): Promise<ConvGrads> {
  const op = `conv${nd}dBackward`;
  checkOptionNames(op, o);
  checkTensor(dy, `${op}: dy`);
  checkTensor(x, `${op}: x`);
  checkTensor(w, `${op}: weight`);
  const hasBias = o.bias !== undefined;
  const g = convGeometry(op, nd, x.shape, w.shape, hasBias, o);
  checkBias(op, o.bias, g.Cout);
  expectShape(dy, g.outShape, `${op}: dy`);
  const backend = backendOf(o, op);
  const [dx] = await runKernel({ kernel: 'conv_backward_data', inputs: [dy, w], outputs: [x.shape], params: g.params, backend });
  const wg = await runKernel({ kernel: 'conv_backward_weight', inputs: [x, dy], outputs: hasBias ? [w.shape, [g.Cout]] : [w.shape], params: g.params, backend });
  return { dx, dw: wg[0], ...(hasBias ? { db: wg[1] } : {}) };
}

async function convTranspose(nd: number, x: Tensor, w: Tensor, o: ConvTransposeOpOptions = {}): Promise<Tensor> {
  const op = `convTranspose${nd}d`;
  checkOptionNames(op, o);
  checkTensor(x, `${op}: x`);
  checkTensor(w, `${op}: weight`);
  const g = convTransposeGeometry(op, nd, x.shape, w.shape, o);
  const bias = checkBias(op, o.bias, g.Cout);
  const backend = backendOf(o, op);
  const [y] = await runKernel({ kernel: 'conv_backward_data', inputs: [x, w], outputs: [g.inShape], params: g.params, backend });
  if (!bias) return y;
  const withBias = await add(y, bias.reshape([g.Cout, ...new Array(nd).fill(1)]), { backend });
  y.dispose();
  return withBias;
}

async function convTransposeBackward(nd: number, dy: Tensor, x: Tensor, w: Tensor, o: ConvTransposeOpOptions = {}): Promise<ConvGrads> {
  const op = `convTranspose${nd}dBackward`;
  checkOptionNames(op, o);
  checkTensor(dy, `${op}: dy`);
  checkTensor(x, `${op}: x`);
  checkTensor(w, `${op}: weight`);
  const g = convTransposeGeometry(op, nd, x.shape, w.shape, o);
  checkBias(op, o.bias, g.Cout);
  expectShape(dy, g.inShape, `${op}: dy`);
  const backend = backendOf(o, op);
  // The transposed conv is the data-gradient of the conv y -> x, so its gradients are that conv's forward
  // (w.r.t. x) and weight gradient with the roles of input and output gradient swapped.
  const [dx] = await runKernel({ kernel: 'conv_forward', inputs: [dy, w], outputs: [x.shape], params: g.params, backend });
  const [dw] = await runKernel({ kernel: 'conv_backward_weight', inputs: [dy, x], outputs: [w.shape], params: g.params, backend });
  if (o.bias === undefined) return { dx, dw };
  const db = await sumTo(dy, [1, g.Cout, ...new Array(nd).fill(1)], { backend });
  return { dx, dw, db: db.reshape([g.Cout]) };
}

export const conv1d = (x: Tensor, w: Tensor, o?: ConvOpOptions) => conv(1, x, w, o);
export const conv2d = (x: Tensor, w: Tensor, o?: ConvOpOptions) => conv(2, x, w, o);
export const conv3d = (x: Tensor, w: Tensor, o?: ConvOpOptions) => conv(3, x, w, o);
export const conv1dBackward = (dy: Tensor, x: Tensor, w: Tensor, o?: ConvOpOptions) => convBackward(1, dy, x, w, o);
export const conv2dBackward = (dy: Tensor, x: Tensor, w: Tensor, o?: ConvOpOptions) => convBackward(2, dy, x, w, o);
export const conv3dBackward = (dy: Tensor, x: Tensor, w: Tensor, o?: ConvOpOptions) => convBackward(3, dy, x, w, o);
export const convTranspose1d = (x: Tensor, w: Tensor, o?: ConvTransposeOpOptions) => convTranspose(1, x, w, o);
export const convTranspose2d = (x: Tensor, w: Tensor, o?: ConvTransposeOpOptions) => convTranspose(2, x, w, o);
export const convTranspose3d = (x: Tensor, w: Tensor, o?: ConvTransposeOpOptions) => convTranspose(3, x, w, o);
export const convTranspose1dBackward = (dy: Tensor, x: Tensor, w: Tensor, o?: ConvTransposeOpOptions) => convTransposeBackward(1, dy, x, w, o);
export const convTranspose2dBackward = (dy: Tensor, x: Tensor, w: Tensor, o?: ConvTransposeOpOptions) => convTransposeBackward(2, dy, x, w, o);
export const convTranspose3dBackward = (dy: Tensor, x: Tensor, w: Tensor, o?: ConvTransposeOpOptions) => convTransposeBackward(3, dy, x, w, o);
