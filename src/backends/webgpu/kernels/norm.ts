/**
 * norm_forward / norm_apply / norm_backward (native/cpu/norm.cpp) of x [N, C, S]. A statistic's group is one
 * (n, c) row (instance, mode 0) or the N rows of channel c (batch, mode 1); each group is reduced by one
 * workgroup (two passes for the variance, as on the CPU), then elementwise passes apply the result.
 */
import { NormParams, unpack } from '../../../core/params.js';
import { entry, groupsFor, paramStruct, storageDecls, uniformBytes, WG } from '../program.js';
import type { GpuKernel } from './types.js';

/** Helpers shared by the shaders: group count and element `e` of group `g`. */
const LAYOUT = `fn groups() -> i32 { return select(p.C, p.N * p.C, p.mode == 0); }
fn count() -> i32 { return select(p.N * p.S, p.S, p.mode == 0); }
fn elem(g: i32, e: i32) -> i32 {
  if (p.mode == 0) { return g * p.S + e; }
  return ((e / p.S) * p.C + g) * p.S + e % p.S;
}
fn groupOf(i: i32) -> i32 { return select((i / p.S) % p.C, i / p.S, p.mode == 0); }
fn channelOf(g: i32) -> i32 { return select(g, g % p.C, p.mode == 0); }
`;

/** A workgroup-per-group reduction kernel; `body` sums into `s0`/`s1` via reduce2(). */
function groupKernel(decls: string, body: string): string {
  return `${paramStruct(NormParams)}${decls}${LAYOUT}
var<workgroup> r0: array<f32, ${WG}>;
var<workgroup> r1: array<f32, ${WG}>;
fn reduce2(t: i32, a: f32, b: f32) -> vec2<f32> {
  r0[t] = a; r1[t] = b;
  workgroupBarrier();
  for (var w = ${WG / 2}; w > 0; w = w / 2) {
    if (t < w) { r0[t] += r0[t + w]; r1[t] += r1[t + w]; }
    workgroupBarrier();
  }
  let out = vec2<f32>(r0[0], r1[0]);
  workgroupBarrier();
  return out;
}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let g = i32(wid.x + wid.y * nwg.x);
  let t = i32(lid.x);
  let live = g < groups();
  let n = count();
${body}
}
`;
}

const STATS = `  var s = 0.0;
  if (live) { for (var e = t; e < n; e += ${WG}) { s += x[elem(g, e)]; } }
  let m = reduce2(t, s, 0.0).x / f32(n);
  var q = 0.0;
  if (live) { for (var e = t; e < n; e += ${WG}) { let d = x[elem(g, e)] - m; q += d * d; } }
  let v = reduce2(t, q, 0.0).x / f32(n);
  if (t == 0 && live) { mean[g] = m; rstd[g] = 1.0 / sqrt(v + p.eps); }`;

function applyPass(affine: boolean): string {
  return `${paramStruct(NormParams, ['n'])}${storageDecls(affine ? ['x', 'mean', 'rstd', 'gamma', 'beta'] : ['x', 'mean', 'rstd'], ['y'])}${LAYOUT}${entry(
    'p.n',
    `  let g = groupOf(i);
  ${affine ? 'let c = channelOf(g);\n  y[i] = (x[i] - mean[g]) * (rstd[g] * gamma[c]) + beta[c];' : 'y[i] = (x[i] - mean[g]) * rstd[g];'}`,
  )}`;
}

function groupsOf(params: Uint8Array): number {
  const p = unpack(NormParams, params) as Record<string, number>;
  return p.mode === 0 ? p.N * p.C : p.C;
}

export const norm_forward: GpuKernel = (g, ins, outs, params) => {
  const [y, mean, rstd] = outs;
  g.dispatch({
    key: 'norm_stats',
    source: () => groupKernel(storageDecls(['x'], ['mean', 'rstd']), STATS),
    uniform: uniformBytes(params),
    buffers: [ins[0].buffer, mean.buffer, rstd.buffer],
    workgroups: groupsOf(params),
  });
  norm_apply(g, [ins[0], mean, rstd, ...ins.slice(1)], [y], params);
};

export const norm_apply: GpuKernel = (g, ins, outs, params) => {
  const affine = ins.length === 5;
  g.dispatch({
    key: `norm_apply_${affine ? 1 : 0}`,
    source: () => applyPass(affine),
    uniform: uniformBytes(params, [outs[0].size]),
    buffers: [...ins, outs[0]].map((b) => b.buffer),
    workgroups: groupsFor(outs[0].size),
  });
};

// dx = (dy - mean(dy) - (x - mean) * rstd² * mean(dy * (x - mean))) * rstd * gamma; per group: [mean(dy), k, w, Σdy, Σdy(x-m)]
const BACKWARD_STATS = `  var a = 0.0; var b = 0.0;
  if (live) {
    let m = mean[g];
    for (var e = t; e < n; e += ${WG}) { let k = elem(g, e); a += dy[k]; b += dy[k] * (x[k] - m); }
  }
  let s = reduce2(t, a, b);
  if (t == 0 && live) {
    let r = rstd[g];
    let gm = GAMMA;
    coef[5 * g] = s.x / f32(n);
    coef[5 * g + 1] = s.y * r * r / f32(n);
    coef[5 * g + 2] = r * gm;
    coef[5 * g + 3] = s.x;
    coef[5 * g + 4] = s.y * r;
  }`;

export const norm_backward: GpuKernel = (g, ins, outs, params) => {
  const affine = ins.length === 5;
  const G = groupsOf(params);
  const [x, dy, mean] = ins;
  const coef = g.temp(4 * 5 * G, GPUBufferUsage.STORAGE);
  const inputs = affine ? ['x', 'dy', 'mean', 'rstd', 'gamma'] : ['x', 'dy', 'mean', 'rstd'];
  g.dispatch({
    key: `norm_bwd_stats_${affine ? 1 : 0}`,
    source: () =>
      groupKernel(
        storageDecls(inputs, []) + `@group(0) @binding(${inputs.length + 1}) var<storage, read_write> coef: array<f32>;\n`,
        BACKWARD_STATS.replace('GAMMA', affine ? 'gamma[channelOf(g)]' : '1.0'),
      ),
    uniform: uniformBytes(params),
    buffers: [...ins.map((b) => b.buffer), coef],
    workgroups: G,
  });
  g.dispatch({
    key: 'norm_bwd_dx',
    source: () =>
      paramStruct(NormParams, ['n']) +
      storageDecls(['x', 'dy', 'mean'], []) +
      `@group(0) @binding(4) var<storage, read> coef: array<f32>;\n@group(0) @binding(5) var<storage, read_write> dx: array<f32>;\n` +
      LAYOUT +
      entry('p.n', `  let g = groupOf(i);\n  dx[i] = (dy[i] - coef[5 * g] - (x[i] - mean[g]) * coef[5 * g + 1]) * coef[5 * g + 2];`),
    uniform: uniformBytes(params, [outs[0].size]),
    buffers: [x.buffer, dy.buffer, mean.buffer, coef, outs[0].buffer],
    workgroups: groupsFor(outs[0].size),
  });
  if (!affine) return;
  // dgamma[c] = Σ rstd Σdy(x-m), dbeta[c] = Σ Σdy over the groups of channel c (in increasing n)
  g.dispatch({
    key: 'norm_bwd_affine',
    source: () =>
      paramStruct(NormParams) +
      `@group(0) @binding(1) var<storage, read> coef: array<f32>;\n` +
      `@group(0) @binding(2) var<storage, read_write> dgamma: array<f32>;\n@group(0) @binding(3) var<storage, read_write> dbeta: array<f32>;\n` +
      entry('p.C', `  var a = 0.0; var b = 0.0;
  let reps = select(1, p.N, p.mode == 0);
  for (var k = 0; k < reps; k++) { let gi = select(i, k * p.C + i, p.mode == 0); a += coef[5 * gi + 4]; b += coef[5 * gi + 3]; }
  dgamma[i] = a; dbeta[i] = b;`),
    uniform: uniformBytes(params),
    buffers: [coef, outs[1].buffer, outs[2].buffer],
    workgroups: groupsFor(unpack(NormParams, params).C as number),
  });
};
