/** linear (PyTorch's F.linear: x [..., in], weight [out, in]) and 2D matmul, each one gemm, and their gradients. */
import { checkOptionNames } from '../core/opdefs/conv.js';
import { gemmCall, linearGeometry, matmulGeometry } from '../core/opdefs/linear.js';
import { checkTensor, expectShape, type Tensor } from '../core/tensor.js';
import { sum } from './elementwise.js';
import { backendOf, type BackendOption } from './options.js';
import { runKernel } from './run.js';
import { BACKEND_ONLY, withTemps } from './util.js';

export interface LinearOptions extends BackendOption {
  /** [out] */
  bias?: Tensor;
}
export interface LinearGrads {
  dx: Tensor;
  dw: Tensor;
  /** present when `bias` was given */
  db?: Tensor;
}
export interface MatmulGrads {
  da: Tensor;
  db: Tensor;
}

const LINEAR_OPTIONS = new Set(['bias', 'backend']);
function checkLinear(op: string, x: Tensor, w: Tensor, o: LinearOptions | undefined) {
  checkOptionNames(op, o, LINEAR_OPTIONS);
  checkTensor(x, `${op}: x`);
  checkTensor(w, `${op}: weight`);
  const g = linearGeometry(op, x.shape, w.shape, o?.bias !== undefined);
  if (o?.bias !== undefined) expectShape(checkTensor(o.bias, `${op}: bias`, [1]), [g.outF], `${op}: bias`);
  return g;
}

/** y = x weight^T + bias: x [..., in], weight [out, in], bias [out] -> y [..., out]. */
export async function linear(x: Tensor, w: Tensor, o?: LinearOptions): Promise<Tensor> {
  const op = 'linear';
  const g = checkLinear(op, x, w, o);
  const x2 = x.reshape([g.M, g.inF]);
  try {
    const [y] = await runKernel({
      kernel: 'gemm', inputs: o?.bias ? [x2, w, o.bias] : [x2, w], outputs: [g.forward.outShape], params: g.forward.params, backend: backendOf(o, op),
    });
    const out = y.reshape(g.outShape);
    y.dispose();
    return out;
  } finally {
    x2.dispose();
  }
}

/** Gradients of linear(x, w, o) given dy [..., out]: dx = dy w, dw = dy^T x, db = sum of dy over the rows. */
export async function linearBackward(dy: Tensor, x: Tensor, w: Tensor, o?: LinearOptions): Promise<LinearGrads> {
  const op = 'linearBackward';
  const g = checkLinear(op, x, w, o);
  expectShape(checkTensor(dy, `${op}: dy`), g.outShape, `${op}: dy`);
  const backend = backendOf(o, op);
  return withTemps(async (temp) => {
    const dy2 = await temp(dy.reshape([g.M, g.outF]));
    const x2 = await temp(x.reshape([g.M, g.inF]));
    const dxCall = gemmCall(g.M, g.inF, g.outF, false, false, false);
    const dwCall = gemmCall(g.outF, g.inF, g.M, true, false, false);
    const [dx2] = await runKernel({ kernel: 'gemm', inputs: [dy2, w], outputs: [dxCall.outShape], params: dxCall.params, backend });
    await temp(dx2);
    const [dw] = await runKernel({ kernel: 'gemm', inputs: [dy2, x2], outputs: [dwCall.outShape], params: dwCall.params, backend });
    const grads: LinearGrads = { dx: dx2.reshape([...x.shape]), dw };
    if (o?.bias !== undefined) grads.db = await sum(dy2, { axis: 0, backend });
    return grads;
  });
}

/** a [M, K] @ b [K, N] -> [M, N]. */
export async function matmul(a: Tensor, b: Tensor, o?: BackendOption): Promise<Tensor> {
  const op = 'matmul';
  checkOptionNames(op, o, BACKEND_ONLY);
  checkTensor(a, `${op}: a`);
  checkTensor(b, `${op}: b`);
  const { forward } = matmulGeometry(op, a.shape, b.shape);
  const [y] = await runKernel({ kernel: 'gemm', inputs: [a, b], outputs: [forward.outShape], params: forward.params, backend: backendOf(o, op) });
  return y;
}

/** Gradients of matmul(a, b) given dy [M, N]: da = dy b^T, db = a^T dy. */
export async function matmulBackward(dy: Tensor, a: Tensor, b: Tensor, o?: BackendOption): Promise<MatmulGrads> {
  const op = 'matmulBackward';
  checkOptionNames(op, o, BACKEND_ONLY);
  checkTensor(a, `${op}: a`);
  checkTensor(b, `${op}: b`);
  const { M, N, K } = matmulGeometry(op, a.shape, b.shape);
  expectShape(checkTensor(dy, `${op}: dy`), [M, N], `${op}: dy`);
  const backend = backendOf(o, op);
  const daCall = gemmCall(M, K, N, false, true, false);
  const dbCall = gemmCall(K, N, M, true, false, false);
  const [da] = await runKernel({ kernel: 'gemm', inputs: [dy, b], outputs: [daCall.outShape], params: daCall.params, backend });
  const [db] = await runKernel({ kernel: 'gemm', inputs: [a, dy], outputs: [dbCall.outShape], params: dbCall.params, backend });
  return { da, db };
}
