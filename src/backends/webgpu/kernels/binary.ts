/** binary_forward (native/cpu/binary.cpp): y[i] = a[Σ idx_k aStrides_k] op b[Σ idx_k bStrides_k]; stride 0 broadcasts. */
import { BinaryParams, unpack } from '../../../core/params.js';
import { entry, groupsFor, paramStruct, storageDecls, uniformBytes } from '../program.js';
import type { GpuKernel } from './types.js';

// max/min pass NaN of `a` through, as the CPU kernel does
// step (the gradient mask of maximum): 1 where u > v, 0.5 where equal, 0 below; NaN propagates
const OPS = [
  'u + v', 'u - v', 'u * v', 'u / v', 'select(v, u, u > v || u != u)', 'select(v, u, u < v || u != u)',
  'select(select(select(0.0, 0.5, u == v), 1.0, u > v), u + v, u != u || v != v)',
];

export const binary_forward: GpuKernel = (g, ins, outs, params) => {
  const { kind, rank, shape } = unpack(BinaryParams, params) as { kind: number; rank: number; shape: number[] };
  const n = shape.slice(0, rank).reduce((a, b) => a * b, 1);
  if (OPS[kind] === undefined) throw new Error(`binary: unknown kind ${kind}`);
  g.dispatch({
    key: `binary_${kind}`,
    source: () =>
      paramStruct(BinaryParams, ['n']) +
      storageDecls(['a', 'b'], ['y']) +
      entry('p.n', `  var rem = i; var ao = 0; var bo = 0;
  for (var k = p.rank - 1; k >= 0; k--) {
    let s = shape(k); let idx = rem % s; rem = rem / s;
    ao += idx * aStrides(k); bo += idx * bStrides(k);
  }
  let u = a[ao]; let v = b[bo];
  y[i] = ${OPS[kind]};`),
    uniform: uniformBytes(params, [n]),
    buffers: [...ins, ...outs].map((b) => b.buffer),
    workgroups: groupsFor(n),
  });
};
