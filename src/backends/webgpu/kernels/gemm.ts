/** gemm (native/cpu/gemm.cpp): C[M, N] = op(A) op(B) + bias; one thread per element of C. */
import { GemmParams, unpack } from '../../../core/params.js';
import { entry, groupsFor, paramStruct, storageDecls, uniformBytes } from '../program.js';
import type { GpuKernel } from './types.js';

export const gemm: GpuKernel = (g, ins, outs, params) => {
  const { M, N, transA, transB, hasBias } = unpack(GemmParams, params) as Record<string, number>;
  const a = transA ? 'A[k * p.M + r]' : 'A[r * p.K + k]';
  const b = transB ? 'B[c * p.K + k]' : 'B[k * p.N + c]';
  g.dispatch({
    key: `gemm_${transA}${transB}${hasBias}`,
    source: () =>
      paramStruct(GemmParams) +
      storageDecls(hasBias ? ['A', 'B', 'bias'] : ['A', 'B'], ['C']) +
      entry('p.M * p.N', `  let r = i / p.N; let c = i % p.N;
  var s = 0.0;
  for (var k = 0; k < p.K; k++) { s += ${a} * ${b}; }
  C[i] = s${hasBias ? ' + bias[c]' : ''};`),
    uniform: uniformBytes(params),
    buffers: [...ins, ...outs].map((x) => x.buffer),
    workgroups: groupsFor(M * N),
  });
};
