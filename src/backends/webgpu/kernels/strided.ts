/**
 * strided_copy / strided_scatter_add (native/cpu/strided.cpp): y[i] = x[offset + Σ idx_k strides_k]; the
 * backward adds dy into a zeroed dx. Without float atomics the scatter is split by the host: axes with a stride
 * (targets, one thread each when they never collide) and broadcast axes (stride 0, summed by that thread);
 * mappings whose targets may collide run in one thread, in y order.
 */
import { StridedParams, unpack } from '../../../core/params.js';
import { entry, groupsFor, paramStruct, storageDecls, uniformBytes } from '../program.js';
import type { GpuKernel } from './types.js';

interface Strided {
  rank: number;
  offset: number;
  shape: number[];
  strides: number[];
}

export const strided_copy: GpuKernel = (g, ins, outs, params) => {
  const n = outs[0].size;
  g.dispatch({
    key: 'strided_copy',
    source: () =>
      paramStruct(StridedParams, ['n']) +
      storageDecls(['x'], ['y']) +
      entry('p.n', `  var rem = i; var src = p.offset;
  for (var k = p.rank - 1; k >= 0; k--) { let s = shape(k); src += (rem % s) * strides(k); rem = rem / s; }
  y[i] = x[src];`),
    uniform: uniformBytes(params, [n]),
    buffers: [ins[0].buffer, outs[0].buffer],
    workgroups: groupsFor(n),
  });
};

/** Whether distinct indices over the non-zero-stride axes always reach distinct elements. */
function injective(axes: { n: number; s: number }[]): boolean {
  const sorted = [...axes].sort((a, b) => a.s - b.s);
  let reach = 0;
  for (const { n, s } of sorted) {
    if (s <= reach) return false;
    reach += (n - 1) * s;
  }
  return true;
}

export const strided_scatter_add: GpuKernel = (g, ins, outs, params) => {
  const p = unpack(StridedParams, params) as unknown as Strided;
  const n = ins[0].size;
  g.clear(outs[0].buffer);
  if (n === 0) return;
  // y strides of every axis (row-major over y's shape)
  const ys: number[] = new Array(p.rank);
  for (let k = p.rank - 1, m = 1; k >= 0; k--) (ys[k] = m), (m *= p.shape[k]);
  const targets: { n: number; s: number; y: number }[] = [];
  const bcast: { n: number; y: number }[] = [];
  for (let k = 0; k < p.rank; k++) {
    if (p.shape[k] === 1) continue;
    if (p.strides[k] !== 0) targets.push({ n: p.shape[k], s: p.strides[k], y: ys[k] });
    else bcast.push({ n: p.shape[k], y: ys[k] });
  }
  const parallel = injective(targets);
  const table = new Int32Array(2 + 5 * 6);
  table[0] = targets.length;
  table[1] = bcast.length;
  targets.forEach((t, k) => ((table[2 + k] = t.n), (table[8 + k] = t.s), (table[14 + k] = t.y)));
  bcast.forEach((b, k) => ((table[20 + k] = b.n), (table[26 + k] = b.y)));
  const ntarget = targets.reduce((a, t) => a * t.n, 1);
  const nbcast = bcast.reduce((a, b) => a * b.n, 1);
  const body = parallel
    ? `  var rem = i; var src = p.offset; var yb = 0;
  for (var k = t[0] - 1; k >= 0; k--) { let s = t[2 + k]; let idx = rem % s; rem = rem / s; src += idx * t[8 + k]; yb += idx * t[14 + k]; }
  var acc = 0.0;
  for (var b = 0; b < p.nb; b++) {
    var r = b; var yo = yb;
    for (var k = t[1] - 1; k >= 0; k--) { let s = t[20 + k]; yo += (r % s) * t[26 + k]; r = r / s; }
    acc += dy[yo];
  }
  dx[src] = acc;`
    : `  _ = t[0];
  for (var j = 0; j < p.ny; j++) {
    var rem = j; var src = p.offset;
    for (var k = p.rank - 1; k >= 0; k--) { let s = shape(k); src += (rem % s) * strides(k); rem = rem / s; }
    dx[src] += dy[j];
  }`;
  g.dispatch({
    key: `strided_scatter_add_${parallel ? 'par' : 'serial'}`,
    source: () =>
      paramStruct(StridedParams, ['nt', 'nb', 'ny']) +
      storageDecls(['dy'], ['dx']) +
      `@group(0) @binding(3) var<storage, read> t: array<i32>;\n` +
      entry('p.nt', body),
    uniform: uniformBytes(params, [parallel ? ntarget : 1, nbcast, n]),
    buffers: [ins[0].buffer, outs[0].buffer, g.table(table)],
    workgroups: parallel ? groupsFor(ntarget) : 1,
  });
};
