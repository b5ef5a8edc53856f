/** unary_forward / unary_backward (native/cpu/unary.cpp): one thread per element, the kind baked into the shader. */
import { UnaryParams, unpack } from '../../../core/params.js';
import { entry, groupsFor, paramStruct, storageDecls, uniformBytes } from '../program.js';
import type { GpuKernel } from './types.js';

// relu keeps NaN (v < 0 is false for NaN), as the CPU kernel does
const FORWARD = [
  'select(v, 0.0, v < 0.0)', 'select(v * p.alpha, v, v > 0.0)', '1.0 / (1.0 + exp(-v))', 'tanh_(v)', 'exp(v)',
  'log(v)', 'abs(v)', 'v * v', 'sqrt(v)', '-v', 'v * p.alpha + p.beta',
];
// dx from x (v), y (o) and dy (g)
const BACKWARD = [
  'select(g, 0.0, v <= 0.0)', 'select(g * p.alpha, g, v > 0.0)', 'g * (1.0 - o) * o', 'g * ((1.0 - o) * (1.0 + o))',
  'g * o', 'g / v', 'select(select(0.0 * g, -g, v < 0.0), g, v > 0.0)', 'g * 2.0 * v', 'g / (2.0 * o)', '-g', 'g * p.alpha',
];

// Small |x|: odd polynomial (exp-based 1 - 2/(e^2x + 1) loses digits there); large: through exp, saturating to ±1.
const TANH = `fn tanh_(x: f32) -> f32 {
  let a = abs(x);
  let z = x * x;
  var q = -5.70498872745e-3;
  q = q * z + 2.06390887954e-2;
  q = q * z - 5.37397155531e-2;
  q = q * z + 1.33314422036e-1;
  q = q * z - 3.33332819422e-1;
  if (a < 0.625) { return q * z * x + x; }
  let big = 1.0 - 2.0 / (exp(2.0 * min(a, 44.0)) + 1.0);
  return select(big, -big, x < 0.0);
}
`;

function run(backward: boolean): GpuKernel {
  return (g, ins, outs, params) => {
    const kind = unpack(UnaryParams, params).kind as number;
    const n = outs[0].size;
    const expr = (backward ? BACKWARD : FORWARD)[kind];
    if (expr === undefined) throw new Error(`unary: unknown kind ${kind}`);
    g.dispatch({
      key: `unary_${backward ? 'bwd' : 'fwd'}_${kind}`,
      source: () =>
        paramStruct(UnaryParams) +
        (backward ? storageDecls(['x', 'y', 'dy'], ['dx']) : storageDecls(['x'], ['out'])) +
        TANH +
        entry('p.n', backward ? `  let v = x[i]; let o = y[i]; let g = dy[i];\n  dx[i] = ${expr};` : `  let v = x[i];\n  out[i] = ${expr};`),
      uniform: uniformBytes(params),
      buffers: [...ins, ...outs].map((b) => b.buffer),
      workgroups: groupsFor(n),
    });
  };
}

export const unary_forward = run(false);
export const unary_backward = run(true);
