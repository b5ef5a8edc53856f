/**
 * concat / split (native/cpu/concat.cpp) of [outer, sizes[i], inner] parts along the middle axis: one dispatch
 * per part (a kernel may bind only a few storage buffers), each copying its slab of every row.
 */
import { ConcatParams, unpack } from '../../../core/params.js';
import { entry, groupsFor, paramStruct, storageDecls, uniformBytes } from '../program.js';
import type { GpuKernel } from './types.js';
import type { GpuBuf } from './types.js';

function run(split: boolean): GpuKernel {
  return (g, ins, outs, params) => {
    const { outer, inner, n, sizes } = unpack(ConcatParams, params) as { outer: number; inner: number; n: number; sizes: number[] };
    const row = sizes.slice(0, n).reduce((a, b) => a + b, 0) * inner;
    const whole: GpuBuf = split ? ins[0] : outs[0];
    const parts = split ? outs : ins;
    let before = 0;
    for (let k = 0; k < n; k++) {
      const len = sizes[k] * inner;
      const copy = split ? 'part[i] = whole[w];' : 'whole[w] = part[i];';
      g.dispatch({
        key: split ? 'split' : 'concat',
        source: () =>
          paramStruct(ConcatParams, ['len', 'before', 'row', 'count']) +
          (split ? storageDecls(['whole'], ['part']) : storageDecls(['part'], ['whole'])) +
          entry('p.count', `  let w = (i / p.len) * p.row + p.before + i % p.len;\n  ${copy}`),
        uniform: uniformBytes(params, [len, before, row, outer * len]),
        buffers: split ? [whole.buffer, parts[k].buffer] : [parts[k].buffer, whole.buffer],
        workgroups: groupsFor(outer * len),
      });
      before += len;
    }
  };
}

export const concat = run(false);
export const split = run(true);
