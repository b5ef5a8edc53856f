/** softmax_forward / softmax_backward (native/cpu/softmax.cpp) over the middle axis of [outer, C, inner]: one thread per (outer, inner). */
import { SoftmaxParams, unpack } from '../../../core/params.js';
import { entry, groupsFor, paramStruct, storageDecls, uniformBytes } from '../program.js';
import type { GpuKernel } from './types.js';

const FORWARD = `  let o = i / p.inner; let j = i % p.inner;
  let base = o * p.C * p.inner + j;
  var m = x[base];
  for (var c = 1; c < p.C; c++) { let v = x[base + c * p.inner]; if (v > m || v != v) { m = v; } }
  var s = 0.0;
  for (var c = 0; c < p.C; c++) { let e = exp(x[base + c * p.inner] - m); y[base + c * p.inner] = e; s += e; }
  let inv = 1.0 / s;
  for (var c = 0; c < p.C; c++) { y[base + c * p.inner] *= inv; }`;

const BACKWARD = `  let o = i / p.inner; let j = i % p.inner;
  let base = o * p.C * p.inner + j;
  var s = 0.0;
  for (var c = 0; c < p.C; c++) { let k = base + c * p.inner; s += y[k] * dy[k]; }
  for (var c = 0; c < p.C; c++) { let k = base + c * p.inner; dx[k] = y[k] * (dy[k] - s); }`;

function run(backward: boolean): GpuKernel {
  return (g, ins, outs, params) => {
    const { outer, inner } = unpack(SoftmaxParams, params) as Record<string, number>;
    const n = outer * inner;
    g.dispatch({
      key: `softmax_${backward ? 'bwd' : 'fwd'}`,
      source: () =>
        paramStruct(SoftmaxParams, ['n']) +
        (backward ? storageDecls(['y', 'dy'], ['dx']) : storageDecls(['x'], ['y'])) +
        entry('p.n', backward ? BACKWARD : FORWARD),
      uniform: uniformBytes(params, [n]),
      buffers: [...ins, ...outs].map((b) => b.buffer),
      workgroups: groupsFor(n),
    });
  };
}

export const softmax_forward = run(false);
export const softmax_backward = run(true);
