/**
 * reduce_forward / reduce_backward (native/cpu/reduce.cpp) over x viewed as [outer, reduce, inner]. Rows
 * (inner = 1, e.g. global pooling) reduce in one workgroup each; otherwise one thread per output walks the axis.
 * Max keeps NaN and its gradient goes to the first maximum (the first NaN), as on the CPU.
 */
import { ReduceParams, unpack } from '../../../core/params.js';
import { entry, groupsFor, paramStruct, storageDecls, uniformBytes, WG } from '../program.js';
import type { GpuKernel } from './types.js';

const take = (m: string, v: string) => `(${v} > ${m} || ${v} != ${v})`;

function rowsSource(kind: number): string {
  const max = kind === 2;
  const combine = (a: string, b: string) => (max ? `select(${a}, ${b}, ${take(a, b)})` : `${a} + ${b}`);
  return `${paramStruct(ReduceParams)}${storageDecls(['x'], ['y'])}
var<workgroup> acc: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let o = i32(wid.x + wid.y * nwg.x);
  let t = i32(lid.x);
  let R = p.reduce;
  // max starts from an element of the row (repeating one cannot change the maximum)
  var s = ${max ? 'x[min(o, p.outer - 1) * R + min(t, R - 1)]' : '0.0'};
  if (o < p.outer) {
    for (var r = t; r < R; r += ${WG}) { let v = x[o * R + r]; s = ${combine('s', 'v')}; }
  }
  acc[t] = s;
  workgroupBarrier();
  for (var w = ${WG / 2}; w > 0; w = w / 2) {
    if (t < w) { acc[t] = ${combine('acc[t]', 'acc[t + w]')}; }
    workgroupBarrier();
  }
  if (t == 0 && o < p.outer) { y[o] = acc[0]${kind === 1 ? ' / f32(R)' : ''}; }
}
`;
}

function columnsSource(kind: number): string {
  const body =
    kind === 2
      ? `  var m = x[base];
  for (var r = 1; r < p.reduce; r++) { let v = x[base + r * p.inner]; if ${take('m', 'v')} { m = v; } }
  y[i] = m;`
      : `  var s = 0.0;
  for (var r = 0; r < p.reduce; r++) { s += x[base + r * p.inner]; }
  y[i] = s${kind === 1 ? ' / f32(p.reduce)' : ''};`;
  return `${paramStruct(ReduceParams, ['n'])}${storageDecls(['x'], ['y'])}${entry('p.n', `  let o = i / p.inner; let j = i % p.inner;\n  let base = o * p.reduce * p.inner + j;\n${body}`)}`;
}

export const reduce_forward: GpuKernel = (g, ins, outs, params) => {
  const { outer, inner, kind } = unpack(ReduceParams, params) as Record<string, number>;
  const rows = inner === 1;
  g.dispatch({
    key: `reduce_${rows ? 'rows' : 'cols'}_${kind}`,
    source: () => (rows ? rowsSource(kind) : columnsSource(kind)),
    uniform: uniformBytes(params, rows ? [] : [outer * inner]),
    buffers: [ins[0].buffer, outs[0].buffer],
    workgroups: rows ? outer : groupsFor(outer * inner),
  });
};

export const reduce_backward: GpuKernel = (g, ins, outs, params) => {
  const { outer, inner, kind } = unpack(ReduceParams, params) as Record<string, number>;
  const [x, , dy] = ins;
  const ny = outer * inner;
  if (kind !== 2) {
    g.dispatch({
      key: `reduce_bwd_${kind}`,
      source: () =>
        paramStruct(ReduceParams, ['n']) +
        storageDecls(['dy'], ['dx']) +
        entry('p.n', `  let j = i % p.inner; let o = i / (p.inner * p.reduce);\n  dx[i] = dy[o * p.inner + j]${kind === 1 ? ' / f32(p.reduce)' : ''};`),
      uniform: uniformBytes(params, [outs[0].size]),
      buffers: [dy.buffer, outs[0].buffer],
      workgroups: groupsFor(outs[0].size),
    });
    return;
  }
  // max: the index of the first maximum per output (stored as f32: exact below 2^24), then the scatter
  const arg = g.temp(4 * ny, GPUBufferUsage.STORAGE);
  g.dispatch({
    key: 'reduce_argmax',
    source: () =>
      paramStruct(ReduceParams, ['n']) +
      storageDecls(['x'], ['arg']) +
      entry('p.n', `  let o = i / p.inner; let j = i % p.inner;
  let base = o * p.reduce * p.inner + j;
  var m = x[base]; var a = 0;
  for (var r = 1; r < p.reduce; r++) { let v = x[base + r * p.inner]; if (${take('m', 'v')} && m == m) { m = v; a = r; } }
  arg[i] = f32(a);`),
    uniform: uniformBytes(params, [ny]),
    buffers: [x.buffer, arg],
    workgroups: groupsFor(ny),
  });
  g.dispatch({
    key: 'reduce_bwd_max',
    source: () =>
      paramStruct(ReduceParams, ['n']) +
      storageDecls(['dy', 'arg'], ['dx']) +
      entry('p.n', `  let j = i % p.inner; let r = (i / p.inner) % p.reduce; let o = i / (p.inner * p.reduce);
  let k = o * p.inner + j;
  dx[i] = select(0.0, dy[k], i32(arg[k]) == r);`),
    uniform: uniformBytes(params, [outs[0].size]),
    buffers: [dy.buffer, arg, outs[0].buffer],
    workgroups: groupsFor(outs[0].size),
  });
};
