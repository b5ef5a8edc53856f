/**
 * upsample_forward / upsample_backward (native/cpu/upsample.cpp). The per-axis source indices and weights are
 * computed on the host with the CPU kernel's float32 arithmetic (Math.fround) and uploaded as tables, so both
 * backends read the same voxels with the same weights. Backward gathers through the transposed tables: one
 * thread per dx element, no atomics.
 */
import { UpsampleParams, unpack } from '../../../core/params.js';
import { entry, groupsFor, paramStruct, storageDecls, uniformBytes } from '../program.js';
import type { GpuKernel } from './types.js';

const f = Math.fround;

interface Axis {
  i0: number[];
  i1: number[];
  l0: number[];
  l1: number[];
}

function axis(inn: number, out: number, linear: boolean, align: boolean): Axis {
  const ax: Axis = { i0: [], i1: [], l0: [], l1: [] };
  const scale = linear && align ? (out > 1 ? f(f(inn - 1) / f(out - 1)) : 0) : f(f(inn) / f(out));
  for (let o = 0; o < out; o++) {
    let i0 = o;
    let l1 = 0;
    if (inn === out) {
      // copy
    } else if (!linear) {
      i0 = out === 2 * inn ? o >> 1 : Math.min(Math.floor(f(o * scale)), inn - 1);
    } else {
      let real = align ? f(scale * o) : f(f(scale * f(o + 0.5)) - 0.5);
      if (!align && real < 0) real = 0;
      i0 = Math.min(Math.floor(real), inn - 1);
      l1 = Math.min(Math.max(f(real - i0), 0), 1);
    }
    ax.i0.push(i0);
    ax.i1.push(linear && i0 < inn - 1 ? i0 + 1 : i0);
    ax.l0.push(f(1 - l1));
    ax.l1.push(l1);
  }
  return ax;
}

/** For each input index j: the outputs reading it and their weights (CSR: ptr[j]..ptr[j+1]). */
function transpose(ax: Axis, inn: number, linear: boolean): { ptr: number[]; out: number[]; w: number[] } {
  const lists: [number, number][][] = Array.from({ length: inn }, () => []);
  ax.i0.forEach((j, o) => {
    lists[j].push([o, ax.l0[o]]);
    if (linear) lists[ax.i1[o]].push([o, ax.l1[o]]);
  });
  const ptr = [0];
  const out: number[] = [];
  const w: number[] = [];
  for (const l of lists) {
    for (const [o, wt] of l) out.push(o), w.push(wt);
    ptr.push(out.length);
  }
  return { ptr, out, w };
}

export const upsample_forward: GpuKernel = (g, ins, outs, params) => {
  const p = unpack(UpsampleParams, params) as Record<string, number>;
  const linear = p.mode === 1;
  const axes = [axis(p.inD, p.outD, linear, p.alignCorners === 1), axis(p.inH, p.outH, linear, p.alignCorners === 1), axis(p.inW, p.outW, linear, p.alignCorners === 1)];
  // tables: idx = [i0 | i1] per axis D, H, W; wt = [l0 | l1] per axis
  const idx = new Int32Array(axes.flatMap((a) => [...a.i0, ...a.i1]));
  const wt = new Float32Array(axes.flatMap((a) => [...a.l0, ...a.l1]));
  const oD = 0, oH = 2 * p.outD, oW = oH + 2 * p.outH;
  const n = outs[0].size;
  const body = `  let ow = i % p.outW; let oh = (i / p.outW) % p.outH; let od = (i / (p.outW * p.outH)) % p.outD;
  let nc = i / (p.outW * p.outH * p.outD);
  let hw = p.inH * p.inW;
  let xp = nc * p.inD * hw;
  let d0 = xp + ix[p.oD + od] * hw; let d1 = xp + ix[p.oD + p.outD + od] * hw;
  let h0 = ix[p.oH + oh] * p.inW; let h1 = ix[p.oH + p.outH + oh] * p.inW;
  let j0 = ix[p.oW + ow]; let j1 = ix[p.oW + p.outW + ow];
  ${
    linear
      ? `let t0 = wt[p.oD + od]; let t1 = wt[p.oD + p.outD + od];
  let u0 = wt[p.oH + oh]; let u1 = wt[p.oH + p.outH + oh];
  let v0 = wt[p.oW + ow]; let v1 = wt[p.oW + p.outW + ow];
  y[i] = t0 * (u0 * (v0 * x[d0 + h0 + j0] + v1 * x[d0 + h0 + j1]) + u1 * (v0 * x[d0 + h1 + j0] + v1 * x[d0 + h1 + j1])) +
         t1 * (u0 * (v0 * x[d1 + h0 + j0] + v1 * x[d1 + h0 + j1]) + u1 * (v0 * x[d1 + h1 + j0] + v1 * x[d1 + h1 + j1]));`
      : `_ = wt[0]; _ = d1; _ = h1; _ = j1;
  y[i] = x[d0 + h0 + j0];`
  }`;
  g.dispatch({
    key: `upsample_fwd_${p.mode}`,
    source: () =>
      paramStruct(UpsampleParams, ['n', 'oD', 'oH', 'oW']) +
      storageDecls(['x'], ['y']) +
      `@group(0) @binding(3) var<storage, read> ix: array<i32>;\n@group(0) @binding(4) var<storage, read> wt: array<f32>;\n` +
      entry('p.n', body),
    uniform: uniformBytes(params, [n, oD, oH, oW]),
    buffers: [ins[0].buffer, outs[0].buffer, g.table(idx), g.table(wt)],
    workgroups: groupsFor(n),
  });
};

export const upsample_backward: GpuKernel = (g, ins, outs, params) => {
  const p = unpack(UpsampleParams, params) as Record<string, number>;
  const linear = p.mode === 1;
  const align = p.alignCorners === 1;
  const t = [
    transpose(axis(p.inD, p.outD, linear, align), p.inD, linear),
    transpose(axis(p.inH, p.outH, linear, align), p.inH, linear),
    transpose(axis(p.inW, p.outW, linear, align), p.inW, linear),
  ];
  // idx = [ptrD | ptrH | ptrW | outD | outH | outW], wt = [wD | wH | wW]
  const idx = new Int32Array([...t[0].ptr, ...t[1].ptr, ...t[2].ptr, ...t[0].out, ...t[1].out, ...t[2].out]);
  const wt = new Float32Array([...t[0].w, ...t[1].w, ...t[2].w]);
  const pD = 0, pH = p.inD + 1, pW = pH + p.inH + 1;
  const lD = pW + p.inW + 1, lH = lD + t[0].out.length, lW = lH + t[1].out.length;
  const wD = 0, wH = t[0].w.length, wW = wH + t[1].w.length;
  const n = outs[0].size;
  const body = `  let iw = i % p.inW; let ih = (i / p.inW) % p.inH; let id = (i / (p.inW * p.inH)) % p.inD;
  let nc = i / (p.inW * p.inH * p.inD);
  let gp = nc * p.outD * p.outH * p.outW;
  var acc = 0.0;
  for (var a = ix[p.pD + id]; a < ix[p.pD + id + 1]; a++) {
    let od = ix[p.lD + a]; let wd = wt[p.wD + a];
    for (var b = ix[p.pH + ih]; b < ix[p.pH + ih + 1]; b++) {
      let oh = ix[p.lH + b]; let wdh = wd * wt[p.wH + b];
      let row = gp + (od * p.outH + oh) * p.outW;
      var r = 0.0;
      for (var c = ix[p.pW + iw]; c < ix[p.pW + iw + 1]; c++) { r += wt[p.wW + c] * dy[row + ix[p.lW + c]]; }
      acc += wdh * r;
    }
  }
  dx[i] = acc;`;
  g.dispatch({
    key: 'upsample_bwd',
    source: () =>
      paramStruct(UpsampleParams, ['n', 'pD', 'pH', 'pW', 'lD', 'lH', 'lW', 'wD', 'wH', 'wW']) +
      storageDecls(['dy'], ['dx']) +
      `@group(0) @binding(3) var<storage, read> ix: array<i32>;\n@group(0) @binding(4) var<storage, read> wt: array<f32>;\n` +
      entry('p.n', body),
    uniform: uniformBytes(params, [n, pD, pH, pW, lD, lH, lW, wD, wH, wW]),
    buffers: [ins[0].buffer, outs[0].buffer, g.table(idx), g.table(wt)],
    workgroups: groupsFor(n),
  });
};
