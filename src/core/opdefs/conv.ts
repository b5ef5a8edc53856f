/**
 * Convolution geometry, declared once for every backend: option normalisation, validation and output shapes of
 * conv1d/2d/3d and their transposes, expressed as the canonical ConvParams (forward orientation, 3D).
 */
import { InvalidArgumentError } from '../errors.js';
import { ConvParams, pack } from '../params.js';
import { shapeString, tupleOf, checkInt, checkSize, sizeOf, type Shape } from '../shape.js';

export interface ConvOptions {
  stride?: number | number[];
  padding?: number | number[];
  dilation?: number | number[];
  groups?: number;
}

export interface ConvTransposeOptions extends ConvOptions {
  /** extra size added to one side of each output axis (PyTorch's output_padding) */
  outputPadding?: number | number[];
}

export interface ConvGeometry {
  /** packed ConvParams in forward orientation */
  params: Uint8Array;
  /** the conv's input shape (x for conv, y for convTranspose) */
  inShape: number[];
  /** the conv's output shape (y for conv, x for convTranspose) */
  outShape: number[];
  weightShape: number[];
  Cout: number;
}

const KNOWN = new Set(['stride', 'padding', 'dilation', 'groups', 'outputPadding', 'bias', 'backend']);

export function checkOptionNames(op: string, options: object | undefined, known: Set<string> = KNOWN): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`${op}: options must be an object`);
  for (const k of Object.keys(options))
    if (!known.has(k)) throw new InvalidArgumentError(`${op}: unknown option '${k}' (known: ${[...known].join(', ')})`);
}

function to3(v: number[], fill: number): number[] {
  return [...new Array(3 - v.length).fill(fill), ...v];
}

function packConv(
  N: number, Cin: number, Cout: number, groups: number, inSp: number[], outSp: number[], k: number[],
  s: number[], p: number[], d: number[], hasBias: boolean,
): Uint8Array {
  const [inD, inH, inW] = to3(inSp, 1);
  const [outD, outH, outW] = to3(outSp, 1);
  const [kD, kH, kW] = to3(k, 1);
  const [strideD, strideH, strideW] = to3(s, 1);
  const [padD, padH, padW] = to3(p, 0);
  const [dilD, dilH, dilW] = to3(d, 1);
  return pack(ConvParams, {
    N, Cin, Cout, groups, inD, inH, inW, outD, outH, outW, kD, kH, kW,
    strideD, strideH, strideW, padD, padH, padW, dilD, dilH, dilW, hasBias: hasBias ? 1 : 0,
  });
}

/** conv{nd}d: x [N, Cin, ...sp], w [Cout, Cin/groups, ...k] -> y [N, Cout, ...out]. */
export function convGeometry(op: string, nd: number, x: Shape, w: Shape, hasBias: boolean, o: ConvOptions = {}): ConvGeometry {
  if (x.length !== nd + 2) throw new InvalidArgumentError(`${op}: input must have rank ${nd + 2} (N, C, ${nd === 3 ? 'D, H, W' : nd === 2 ? 'H, W' : 'L'}), got ${shapeString(x)}`);
  if (w.length !== nd + 2) throw new InvalidArgumentError(`${op}: weight must have rank ${nd + 2} [Cout, Cin/groups, ...kernel], got ${shapeString(w)}`);
  const groups = checkInt(o.groups ?? 1, `${op}: groups`, 1);
  const stride = tupleOf(o.stride ?? 1, nd, `${op}: stride`, 1);
  const padding = tupleOf(o.padding ?? 0, nd, `${op}: padding`, 0);
  const dilation = tupleOf(o.dilation ?? 1, nd, `${op}: dilation`, 1);
  const [N, Cin] = x;
  const [Cout, cinPerGroup] = w;
  const k = w.slice(2);
  if (Cin % groups) throw new InvalidArgumentError(`${op}: input channels ${Cin} are not divisible by groups ${groups}`);
  if (Cout % groups) throw new InvalidArgumentError(`${op}: weight's output channels ${Cout} are not divisible by groups ${groups}`);
  if (cinPerGroup * groups !== Cin)
    throw new InvalidArgumentError(`${op}: weight ${shapeString(w)} expects ${cinPerGroup * groups} input channels (Cin/groups = ${cinPerGroup}, groups = ${groups}), input ${shapeString(x)} has ${Cin}`);
  const sp = x.slice(2);
  const out = sp.map((n, a) => Math.floor((n + 2 * padding[a] - dilation[a] * (k[a] - 1) - 1) / stride[a]) + 1);
  out.forEach((n, a) => {
    if (n < 1)
      throw new InvalidArgumentError(`${op}: kernel ${shapeString(k)} (dilation ${shapeString(dilation)}) is larger than the padded input ${shapeString(sp.map((s, b) => s + 2 * padding[b]))} on axis ${a}`);
  });
  const outShape = [N, Cout, ...out];
  checkSize(sizeOf(outShape), `${op}: output ${shapeString(outShape)}`);
  return {
    params: packConv(N, Cin, Cout, groups, sp, out, k, stride, padding, dilation, hasBias),
    inShape: [...x],
    outShape,
    weightShape: [...w],
    Cout,
  };
}

/**
 * convTranspose{nd}d: x [N, Cin, ...sp], w [Cin, Cout/groups, ...k] -> y [N, Cout, ...out] with
 * out = (sp-1)*stride - 2*padding + dilation*(k-1) + outputPadding + 1. Expressed as the conv that maps y to x
 * (so the kernel is conv_backward_data): that conv has Cin' = Cout, Cout' = Cin and the same weight tensor.
 */
export function convTransposeGeometry(op: string, nd: number, x: Shape, w: Shape, o: ConvTransposeOptions = {}): ConvGeometry {
  if (x.length !== nd + 2) throw new InvalidArgumentError(`${op}: input must have rank ${nd + 2}, got ${shapeString(x)}`);
  if (w.length !== nd + 2) throw new InvalidArgumentError(`${op}: weight must have rank ${nd + 2} [Cin, Cout/groups, ...kernel], got ${shapeString(w)}`);
  const groups = checkInt(o.groups ?? 1, `${op}: groups`, 1);
  const stride = tupleOf(o.stride ?? 1, nd, `${op}: stride`, 1);
  const padding = tupleOf(o.padding ?? 0, nd, `${op}: padding`, 0);
  const dilation = tupleOf(o.dilation ?? 1, nd, `${op}: dilation`, 1);
  const outputPadding = tupleOf(o.outputPadding ?? 0, nd, `${op}: outputPadding`, 0);
  const [N, Cin] = x;
  const [wIn, coutPerGroup] = w;
  const k = w.slice(2);
  if (wIn !== Cin) throw new InvalidArgumentError(`${op}: weight ${shapeString(w)} expects ${wIn} input channels, input ${shapeString(x)} has ${Cin}`);
  if (Cin % groups) throw new InvalidArgumentError(`${op}: input channels ${Cin} are not divisible by groups ${groups}`);
  outputPadding.forEach((op_, a) => {
    if (op_ >= stride[a] && op_ >= dilation[a])
      throw new InvalidArgumentError(`${op}: outputPadding[${a}] = ${op_} must be smaller than stride or dilation`);
  });
  const Cout = coutPerGroup * groups;
  const sp = x.slice(2);
  const out = sp.map((n, a) => (n - 1) * stride[a] - 2 * padding[a] + dilation[a] * (k[a] - 1) + outputPadding[a] + 1);
  out.forEach((n, a) => {
    if (n < 1) throw new InvalidArgumentError(`${op}: output size on axis ${a} would be ${n} (padding too large)`);
  });
  const outShape = [N, Cout, ...out];
  checkSize(sizeOf(outShape), `${op}: output ${shapeString(outShape)}`);
  return {
    // the bias of a transposed conv is added to its output by the op (the kernel computes the data part only)
    params: packConv(N, Cout, Cin, groups, out, sp, k, stride, padding, dilation, false),
    inShape: outShape,
    outShape: [...x],
    weightShape: [...w],
    Cout,
  };
}
