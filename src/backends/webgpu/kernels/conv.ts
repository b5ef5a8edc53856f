/**
 * conv_forward / conv_backward_data / conv_backward_weight (native/cpu/conv_generic.cpp states the maths) in
 * the canonical 3D forward orientation of ConvParams; conv1d/2d have size-1 leading axes and the transposed
 * conv is conv_backward_data. Direct convolution, one thread per element of the result (no atomics); loop bounds
 * are clipped to the valid range instead of testing every tap.
 */
import { ConvParams, unpack } from '../../../core/params.js';
import { entry, groupsFor, paramStruct, storageDecls, uniformBytes } from '../program.js';
import type { GpuKernel } from './types.js';

const HELPERS = `fn fdiv(a: i32, b: i32) -> i32 { return select(-((-a + b - 1) / b), a / b, a >= 0); }
// output indices o with 0 <= o * s + off < inn, clipped to [0, out)
fn lo_(off: i32, s: i32) -> i32 { return max(0, fdiv(-off + s - 1, s)); }
fn hi_(off: i32, s: i32, inn: i32, out: i32) -> i32 { return min(out, fdiv(inn - 1 - off, s) + 1); }
`;

const FORWARD = `  let ow = i % p.outW; let oh = (i / p.outW) % p.outH; let od = (i / (p.outW * p.outH)) % p.outD;
  let co = (i / (p.outW * p.outH * p.outD)) % p.Cout; let nn = i / (p.outW * p.outH * p.outD * p.Cout);
  let Cig = p.Cin / p.groups; let grp = co / (p.Cout / p.groups);
  let taps = p.kD * p.kH * p.kW; let isp = p.inD * p.inH * p.inW;
  // taps inside the input: k with 0 <= o * s - pad + k * dil < in
  let d0 = od * p.strideD - p.padD; let h0 = oh * p.strideH - p.padH; let w0 = ow * p.strideW - p.padW;
  let kd0 = lo_(d0, p.dilD); let kd1 = hi_(d0, p.dilD, p.inD, p.kD);
  let kh0 = lo_(h0, p.dilH); let kh1 = hi_(h0, p.dilH, p.inH, p.kH);
  let kw0 = lo_(w0, p.dilW); let kw1 = hi_(w0, p.dilW, p.inW, p.kW);
  var s = BIAS;
  for (var ci = 0; ci < Cig; ci++) {
    let xc = (nn * p.Cin + grp * Cig + ci) * isp;
    let wc = (co * Cig + ci) * taps;
    for (var kd = kd0; kd < kd1; kd++) {
      for (var kh = kh0; kh < kh1; kh++) {
        let xr = xc + ((d0 + kd * p.dilD) * p.inH + h0 + kh * p.dilH) * p.inW + w0;
        let wr = wc + (kd * p.kH + kh) * p.kW;
        for (var kw = kw0; kw < kw1; kw++) { s += w[wr + kw] * x[xr + kw * p.dilW]; }
      }
    }
  }
  y[i] = s;`;

const BACKWARD_DATA = `  let iw = i % p.inW; let ih = (i / p.inW) % p.inH; let id = (i / (p.inW * p.inH)) % p.inD;
  let ci = (i / (p.inW * p.inH * p.inD)) % p.Cin; let nn = i / (p.inW * p.inH * p.inD * p.Cin);
  let Cig = p.Cin / p.groups; let Cog = p.Cout / p.groups; let grp = ci / Cig; let cil = ci % Cig;
  let taps = p.kD * p.kH * p.kW; let osp = p.outD * p.outH * p.outW;
  var s = 0.0;
  for (var j = 0; j < Cog; j++) {
    let co = grp * Cog + j;
    let dyc = (nn * p.Cout + co) * osp;
    let wc = (co * Cig + cil) * taps;
    for (var kd = 0; kd < p.kD; kd++) {
      let td = id + p.padD - kd * p.dilD;
      if (td < 0 || td % p.strideD != 0 || td / p.strideD >= p.outD) { continue; }
      for (var kh = 0; kh < p.kH; kh++) {
        let th = ih + p.padH - kh * p.dilH;
        if (th < 0 || th % p.strideH != 0 || th / p.strideH >= p.outH) { continue; }
        let row = dyc + (td / p.strideD * p.outH + th / p.strideH) * p.outW;
        for (var kw = 0; kw < p.kW; kw++) {
          let tw = iw + p.padW - kw * p.dilW;
          if (tw < 0 || tw % p.strideW != 0 || tw / p.strideW >= p.outW) { continue; }
          s += w[wc + (kd * p.kH + kh) * p.kW + kw] * dy[row + tw / p.strideW];
        }
      }
    }
  }
  dx[i] = s;`;

const BACKWARD_WEIGHT = `  let kw = i % p.kW; let kh = (i / p.kW) % p.kH; let kd = (i / (p.kW * p.kH)) % p.kD;
  let Cig = p.Cin / p.groups;
  let cil = (i / (p.kW * p.kH * p.kD)) % Cig; let co = i / (p.kW * p.kH * p.kD * Cig);
  let grp = co / (p.Cout / p.groups);
  let isp = p.inD * p.inH * p.inW; let osp = p.outD * p.outH * p.outW;
  let fd = kd * p.dilD - p.padD; let fh = kh * p.dilH - p.padH; let fw = kw * p.dilW - p.padW;
  let od0 = lo_(fd, p.strideD); let od1 = hi_(fd, p.strideD, p.inD, p.outD);
  let oh0 = lo_(fh, p.strideH); let oh1 = hi_(fh, p.strideH, p.inH, p.outH);
  let ow0 = lo_(fw, p.strideW); let ow1 = hi_(fw, p.strideW, p.inW, p.outW);
  var s = 0.0;
  for (var nn = 0; nn < p.N; nn++) {
    let xc = (nn * p.Cin + grp * Cig + cil) * isp;
    let dyc = (nn * p.Cout + co) * osp;
    for (var od = od0; od < od1; od++) {
      for (var oh = oh0; oh < oh1; oh++) {
        let xr = xc + ((od * p.strideD + fd) * p.inH + oh * p.strideH + fh) * p.inW + fw;
        let dr = dyc + (od * p.outH + oh) * p.outW;
        var r = 0.0;
        for (var ow = ow0; ow < ow1; ow++) { r += dy[dr + ow] * x[xr + ow * p.strideW]; }
        s += r;
      }
    }
  }
  dw[i] = s;`;

const BACKWARD_BIAS = `  let osp = p.outD * p.outH * p.outW;
  var s = 0.0;
  for (var nn = 0; nn < p.N; nn++) {
    let base = (nn * p.Cout + i) * osp;
    var r = 0.0;
    for (var k = 0; k < osp; k++) { r += dy[base + k]; }
    s += r;
  }
  db[i] = s;`;

const size = (p: Record<string, number>, what: 'in' | 'out') =>
  what === 'in' ? p.N * p.Cin * p.inD * p.inH * p.inW : p.N * p.Cout * p.outD * p.outH * p.outW;

export const conv_forward: GpuKernel = (g, ins, outs, params) => {
  const hasBias = ins.length === 3;
  const n = outs[0].size;
  g.dispatch({
    key: `conv_fwd_${hasBias ? 1 : 0}`,
    source: () =>
      paramStruct(ConvParams, ['n']) +
      storageDecls(hasBias ? ['x', 'w', 'bias'] : ['x', 'w'], ['y']) +
      HELPERS +
      entry('p.n', FORWARD.replace('BIAS', hasBias ? 'bias[co]' : '0.0')),
    uniform: uniformBytes(params, [n]),
    buffers: [...ins, ...outs].map((b) => b.buffer),
    workgroups: groupsFor(n),
  });
};

export const conv_backward_data: GpuKernel = (g, ins, outs, params) => {
  const n = size(unpack(ConvParams, params) as Record<string, number>, 'in');
  g.dispatch({
    key: 'conv_bwd_data',
    source: () => paramStruct(ConvParams, ['n']) + storageDecls(['dy', 'w'], ['dx']) + entry('p.n', BACKWARD_DATA),
    uniform: uniformBytes(params, [n]),
    buffers: [...ins, ...outs].map((b) => b.buffer),
    workgroups: groupsFor(n),
  });
};

export const conv_backward_weight: GpuKernel = (g, ins, outs, params) => {
  const p = unpack(ConvParams, params) as Record<string, number>;
  const nw = p.Cout * (p.Cin / p.groups) * p.kD * p.kH * p.kW;
  g.dispatch({
    key: 'conv_bwd_weight',
    source: () => paramStruct(ConvParams, ['n']) + storageDecls(['x', 'dy'], ['dw']) + HELPERS + entry('p.n', BACKWARD_WEIGHT),
    uniform: uniformBytes(params, [nw]),
    buffers: [ins[0].buffer, ins[1].buffer, outs[0].buffer],
    workgroups: groupsFor(nw),
  });
  if (outs.length < 2) return;
  g.dispatch({
    key: 'conv_bwd_bias',
    source: () => paramStruct(ConvParams) + storageDecls(['dy'], ['db']) + entry('p.Cout', BACKWARD_BIAS),
    uniform: uniformBytes(params),
    buffers: [ins[1].buffer, outs[1].buffer],
    workgroups: groupsFor(p.Cout),
  });
};
