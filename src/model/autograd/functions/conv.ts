/**
 * Differentiable convolutions. For one conv geometry (stride, padding, dilation, groups) three bilinear maps
 * close under differentiation:
 *   F(x, w)  the convolution                    -> y   (ops.conv{nd}d)
 *   D(a, w)  its data gradient = transposed conv -> x   (ops.convTranspose{nd}d with the matching outputPadding)
 *   W(x, a)  its weight gradient                 -> w   (from ops.conv{nd}dBackward)
 * with the vector-Jacobian products (G the incoming gradient):
 *   F: dx = D(G, w), dw = W(x, G)      D: da = F(G, w), dw = W(G, a)      W: dx = D(a, G), da = F(x, G)
 * so every backward is again made of F, D and W, to any order. Where two of them are needed together, one
 * fused kernel call computes both (ops.conv{nd}dBackward / ops.convTranspose{nd}dBackward) and each result is
 * recorded with the node of its own function.
 */
import { full, type Tensor } from '../../../core/tensor.js';
import { tupleOf } from '../../../core/shape.js';
import * as ops from '../../../ops/index.js';
import { attach, graphOf, record, type Var } from '../var.js';
import { add } from './pointwise.js';
import { sumToChannels } from './reduce.js';
import { reshape } from './shape.js';
import { opts } from './util.js';

type Grads = Promise<Array<Var | undefined>>;
type Nd = 1 | 2 | 3;

export interface ConvGeom {
  nd: Nd;
  stride: number[];
  padding: number[];
  dilation: number[];
  groups: number;
}

export interface ConvFnOptions {
  bias?: Var;
  stride?: number | number[];
  padding?: number | number[];
  dilation?: number | number[];
  groups?: number;
}
export interface ConvTransposeFnOptions extends ConvFnOptions {
  outputPadding?: number | number[];
}

const FWD = { 1: ops.conv1d, 2: ops.conv2d, 3: ops.conv3d };
const BWD = { 1: ops.conv1dBackward, 2: ops.conv2dBackward, 3: ops.conv3dBackward };
const TFWD = { 1: ops.convTranspose1d, 2: ops.convTranspose2d, 3: ops.convTranspose3d };
const TBWD = { 1: ops.convTranspose1dBackward, 2: ops.convTranspose2dBackward, 3: ops.convTranspose3dBackward };

function geom(nd: Nd, o: ConvFnOptions): ConvGeom {
  return {
    nd,
    stride: tupleOf(o.stride ?? 1, nd, `conv${nd}d: stride`, 1),
    padding: tupleOf(o.padding ?? 0, nd, `conv${nd}d: padding`, 0),
    dilation: tupleOf(o.dilation ?? 1, nd, `conv${nd}d: dilation`, 1),
    groups: o.groups ?? 1,
  };
}
const geomOpts = (G: ConvGeom) => ({ stride: G.stride, padding: G.padding, dilation: G.dilation, groups: G.groups });

/** outputPadding that makes D(a, w) come out with the spatial size of x. */
function outputPaddingOf(G: ConvGeom, xShape: readonly number[], aShape: readonly number[], wShape: readonly number[]): number[] {
  return xShape.slice(2).map((n, i) => n - ((aShape[2 + i] - 1) * G.stride[i] - 2 * G.padding[i] + G.dilation[i] * (wShape[2 + i] - 1) + 1));
}

/** F(x, w) (+ bias). `value`: the result when already computed. */
export async function convF(x: Var, w: Var, G: ConvGeom, b?: Var, value?: Tensor): Promise<Var> {
  const y = value ?? (await FWD[G.nd](x.value, w.value, { ...opts(x, w), ...geomOpts(G), ...(b ? { bias: b.value } : {}) }));
  return record(`conv${G.nd}d`, y, b ? [x, w, b] : [x, w], async (gy, [xi, wi, bi], _y, needs): Grads => {
    let dx: Var | undefined, dw: Var | undefined, db: Var | undefined;
    const wantDb = !!b && needs[2];
    if (needs[1]) {
      // one fused call gives dw (and db); dx too when needed, else it is thrown away
      const r = await BWD[G.nd](gy.value, xi.value, wi.value, { ...opts(gy), ...geomOpts(G), ...(wantDb ? { bias: bi.value } : {}) });
      if (needs[0]) dx = await convD(gy, wi, G, xi.shape, r.dx);
      else r.dx.dispose();
      dw = await convW(xi, gy, G, wi.shape, r.dw);
      if (r.db) db = await sumToChannels(gy, r.db);
    } else if (needs[0]) dx = await convD(gy, wi, G, xi.shape);
    if (wantDb && !db) db = await sumToChannels(gy);
    return [dx, dw, db];
  });
}

/** D(a, w): the data gradient of F (a transposed convolution), shaped like x. */
export async function convD(a: Var, w: Var, G: ConvGeom, xShape: readonly number[], value?: Tensor): Promise<Var> {
  const outputPadding = outputPaddingOf(G, xShape, a.shape, w.shape);
  const o = { ...geomOpts(G), outputPadding };
  const y = value ?? (await TFWD[G.nd](a.value, w.value, { ...opts(a, w), ...o }));
  return record(`conv${G.nd}dBackwardData`, y, [a, w], async (gy, [ai, wi], _y, needs): Grads => {
    if (needs[0] && needs[1]) {
      const r = await TBWD[G.nd](gy.value, ai.value, wi.value, { ...opts(gy), ...o });
      return [await convF(gy, wi, G, undefined, r.dx), await convW(gy, ai, G, wi.shape, r.dw)];
    }
    if (needs[0]) return [await convF(gy, wi, G), undefined];
    return [undefined, await convW(gy, ai, G, wi.shape)];
  });
}

/** W(x, a): the weight gradient of F, shaped like w. */
export async function convW(x: Var, a: Var, G: ConvGeom, wShape: readonly number[], value?: Tensor): Promise<Var> {
  let y = value;
  if (!y) {
    // ops has no weight-gradient-only op: the fused one also computes a data gradient, thrown away here
    const dummy = full([...wShape], 0);
    try {
      const r = await BWD[G.nd](a.value, x.value, dummy, { ...opts(x, a), ...geomOpts(G) });
      r.dx.dispose();
      y = r.dw;
    } finally {
      dummy.dispose();
    }
  }
  return record(`conv${G.nd}dBackwardWeight`, y, [x, a], async (gy, [xi, ai], _y, needs): Grads => [
    needs[0] ? await convD(ai, gy, G, xi.shape) : undefined,
    needs[1] ? await convF(xi, gy, G) : undefined,
  ]);
}

async function conv(nd: Nd, x: Var, w: Var, o: ConvFnOptions = {}): Promise<Var> {
  return convF(x, w, geom(nd, o), o.bias);
}

/** Transposed conv: x [N, Cin, ...], w [Cin, Cout/groups, ...k] (+ bias [Cout]), PyTorch semantics. */
async function convTranspose(nd: Nd, x: Var, w: Var, o: ConvTransposeFnOptions = {}): Promise<Var> {
  const G = geom(nd, o);
  const op = tupleOf(o.outputPadding ?? 0, nd, `convTranspose${nd}d: outputPadding`, 0);
  const out = x.shape.slice(2).map((n, i) => (n - 1) * G.stride[i] - 2 * G.padding[i] + G.dilation[i] * (w.shape[2 + i] - 1) + op[i] + 1);
  const y = await convD(x, w, G, [x.shape[0], w.shape[1] * G.groups, ...out]);
  if (!o.bias) return y;
  const b = await reshape(attach(o.bias, graphOf('convTranspose', [x])), [o.bias.size, ...new Array(nd).fill(1)]);
  return add(y, b);
}

export const conv1d = (x: Var, w: Var, o?: ConvFnOptions) => conv(1, x, w, o);
export const conv2d = (x: Var, w: Var, o?: ConvFnOptions) => conv(2, x, w, o);
export const conv3d = (x: Var, w: Var, o?: ConvFnOptions) => conv(3, x, w, o);
export const convTranspose1d = (x: Var, w: Var, o?: ConvTransposeFnOptions) => convTranspose(1, x, w, o);
export const convTranspose2d = (x: Var, w: Var, o?: ConvTransposeFnOptions) => convTranspose(2, x, w, o);
export const convTranspose3d = (x: Var, w: Var, o?: ConvTransposeFnOptions) => convTranspose(3, x, w, o);
