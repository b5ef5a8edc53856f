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

// 4 output channels x 4 consecutive outputs along W per thread: each weight and input load feeds 4 FMAs.
const FORWARD_TILED = `  let nwb = (p.outW + 3) / 4;
  let owb = i % nwb; let oh = (i / nwb) % p.outH; let od = (i / (nwb * p.outH)) % p.outD;
  let cob = (i / (nwb * p.outH * p.outD)) % (p.Cout / 4); let nn = i / (nwb * p.outH * p.outD * (p.Cout / 4));
  let co = cob * 4; let ow = owb * 4;
  let Cig = p.Cin / p.groups; let grp = co / (p.Cout / p.groups);
  let taps = p.kD * p.kH * p.kW; let isp = p.inD * p.inH * p.inW;
  let d0 = od * p.strideD - p.padD; let h0 = oh * p.strideH - p.padH; let w0 = ow * p.strideW - p.padW;
  let kd0 = lo_(d0, p.dilD); let kd1 = hi_(d0, p.dilD, p.inD, p.kD);
  let kh0 = lo_(h0, p.dilH); let kh1 = hi_(h0, p.dilH, p.inH, p.kH);
  let b = BIAS;
  var a0 = b; var a1 = b; var a2 = b; var a3 = b;
  let wstep = Cig * taps;
  for (var ci = 0; ci < Cig; ci++) {
    let xc = (nn * p.Cin + grp * Cig + ci) * isp;
    let wc = (co * Cig + ci) * taps;
    for (var kd = kd0; kd < kd1; kd++) {
      for (var kh = kh0; kh < kh1; kh++) {
        let xr = xc + ((d0 + kd * p.dilD) * p.inH + h0 + kh * p.dilH) * p.inW;
        let wr = wc + (kd * p.kH + kh) * p.kW;
        for (var kw = 0; kw < p.kW; kw++) {
          let k = wr + kw;
          let wv = vec4<f32>(w[k], w[k + wstep], w[k + 2 * wstep], w[k + 3 * wstep]);
          let iw = w0 + kw * p.dilW;
          let i1 = iw + p.strideW; let i2 = i1 + p.strideW; let i3 = i2 + p.strideW;
          a0 += wv * select(0.0, x[xr + clamp(iw, 0, p.inW - 1)], iw >= 0 && iw < p.inW);
          a1 += wv * select(0.0, x[xr + clamp(i1, 0, p.inW - 1)], i1 >= 0 && i1 < p.inW);
          a2 += wv * select(0.0, x[xr + clamp(i2, 0, p.inW - 1)], i2 >= 0 && i2 < p.inW);
          a3 += wv * select(0.0, x[xr + clamp(i3, 0, p.inW - 1)], i3 >= 0 && i3 < p.inW);
        }
      }
    }
  }
  let osp = p.outD * p.outH * p.outW;
  let base = (nn * p.Cout + co) * osp + (od * p.outH + oh) * p.outW + ow;
  for (var c = 0; c < 4; c++) {
    let yo = base + c * osp;
    y[yo] = a0[c];
    if (ow + 1 < p.outW) { y[yo + 1] = a1[c]; }
    if (ow + 2 < p.outW) { y[yo + 2] = a2[c]; }
    if (ow + 3 < p.outW) { y[yo + 3] = a3[c]; }
  }`;

// 4 input channels per thread (vec4 accumulator): each dy load feeds 4 FMAs. Taps outside, channels inside
// (a straight inner loop); with dilation 1 only every stride-th tap lands on an output, so the tap loops start
// there and step by the stride.
const BACKWARD_DATA = `  let iw = i % p.inW; let ih = (i / p.inW) % p.inH; let id = (i / (p.inW * p.inH)) % p.inD;
  let Cb = p.Cin / CB;
  let cb = (i / (p.inW * p.inH * p.inD)) % Cb; let nn = i / (p.inW * p.inH * p.inD * Cb);
  let ci = cb * CB;
  let Cig = p.Cin / p.groups; let Cog = p.Cout / p.groups; let grp = ci / Cig; let cil = ci % Cig;
  let taps = p.kD * p.kH * p.kW; let osp = p.outD * p.outH * p.outW;
  let sd = select(1, p.strideD, p.dilD == 1); let kd0 = select(0, (id + p.padD) % p.strideD, p.dilD == 1);
  let sh = select(1, p.strideH, p.dilH == 1); let kh0 = select(0, (ih + p.padH) % p.strideH, p.dilH == 1);
  let sw = select(1, p.strideW, p.dilW == 1); let kw0 = select(0, (iw + p.padW) % p.strideW, p.dilW == 1);
  let dyn = (nn * p.Cout + grp * Cog) * osp;
  let wn = (grp * Cog * Cig + cil) * taps;
  let wstep = Cig * taps;
  var s = VZERO;
  for (var kd = kd0; kd < p.kD; kd += sd) {
    let td = id + p.padD - kd * p.dilD;
    if (td < 0 || td % p.strideD != 0 || td / p.strideD >= p.outD) { continue; }
    for (var kh = kh0; kh < p.kH; kh += sh) {
      let th = ih + p.padH - kh * p.dilH;
      if (th < 0 || th % p.strideH != 0 || th / p.strideH >= p.outH) { continue; }
      for (var kw = kw0; kw < p.kW; kw += sw) {
        let tw = iw + p.padW - kw * p.dilW;
        if (tw < 0 || tw % p.strideW != 0 || tw / p.strideW >= p.outW) { continue; }
        var dk = dyn + (td / p.strideD * p.outH + th / p.strideH) * p.outW + tw / p.strideW;
        var wk = wn + (kd * p.kH + kh) * p.kW + kw;
        for (var j = 0; j < Cog; j++) {
          s += WLOAD * dy[dk];
          dk += osp; wk += wstep;
        }
      }
    }
  }
  STORE`;

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
  const p = unpack(ConvParams, params) as Record<string, number>;
  const tiled = (p.Cout / p.groups) % 4 === 0;
  const n = tiled ? p.N * (p.Cout / 4) * p.outD * p.outH * Math.ceil(p.outW / 4) : outs[0].size;
  const bias = tiled ? 'vec4<f32>(bias[co], bias[co + 1], bias[co + 2], bias[co + 3])' : 'bias[co]';
  g.dispatch({
    key: `conv_fwd_${tiled ? 'tiled' : 'plain'}_${hasBias ? 1 : 0}`,
    source: () =>
      paramStruct(ConvParams, ['n']) +
      storageDecls(hasBias ? ['x', 'w', 'bias'] : ['x', 'w'], ['y']) +
      HELPERS +
      entry('p.n', (tiled ? FORWARD_TILED : FORWARD).replace('BIAS', hasBias ? bias : tiled ? 'vec4<f32>(0.0)' : '0.0')),
    uniform: uniformBytes(params, [n]),
    buffers: [...ins, ...outs].map((b) => b.buffer),
    workgroups: groupsFor(n),
  });
};

export const conv_backward_data: GpuKernel = (g, ins, outs, params) => {
  const p = unpack(ConvParams, params) as Record<string, number>;
  const tiled = (p.Cin / p.groups) % 4 === 0;
  const n = size(p, 'in') / (tiled ? 4 : 1);
  const isp = 'p.inD * p.inH * p.inW';
  const body = tiled
    ? BACKWARD_DATA.replaceAll('CB', '4').replace('VZERO', 'vec4<f32>(0.0)')
        .replace('WLOAD', 'vec4<f32>(w[wk], w[wk + taps], w[wk + 2 * taps], w[wk + 3 * taps])')
        .replace('STORE', `let o = ((nn * p.Cin + ci) * p.inD + id) * p.inH * p.inW + ih * p.inW + iw;
  for (var c = 0; c < 4; c++) { dx[o + c * ${isp}] = s[c]; }`)
    : BACKWARD_DATA.replaceAll('CB', '1').replace('VZERO', '0.0').replace('WLOAD', 'w[wk]').replace('STORE', 'dx[i] = s;');
  g.dispatch({
    key: `conv_bwd_data_${tiled ? 'tiled' : 'plain'}`,
    source: () => paramStruct(ConvParams, ['n']) + storageDecls(['dy', 'w'], ['dx']) + entry('p.n', body),
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
