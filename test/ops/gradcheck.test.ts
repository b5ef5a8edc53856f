/**
 * Finite-difference check of every gradient the SDK exposes (every `ops.*Backward`), on every available backend:
 * for f(x) = <op(x), r> with a random upstream r (the golden case's dy) and a random direction v (uniform in
 * [-1, 1]), the analytic <grad, v> must match the central difference (f(x + eps v) - f(x - eps v)) / (2 eps),
 * computed in float64 on the JS side over the float32 ops, eps = 1e-3 * max(1, max|x|), within 2e-2 relative.
 * Each differentiable input of each golden case is checked on its own. The golden inputs keep every kink (relu,
 * abs, max) more than eps away, so the difference quotient is valid.
 *
 * Filters: MICRORECON_TEST_OPS, MICRORECON_TEST_BACKENDS (as in differential.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../src/index.js';
import { ADAPTERS, exportedBackwards } from './adapters.js';
import { CHECKED_IN_DIR, loadGoldenCases, type GoldenCase } from './golden.js';
import { disposeAll, opSelected, prng, selectedBackends, tensors, toTensor, unavailableNote, type BackendName } from './helpers.js';
import { exclusionOf } from './tolerances.js';

const REL_TOL = 2e-2;
const EPS_REL = 1e-3;

// always the checked-in tier: its inputs are built for finite differences (kinks and ties farther than eps)
const cases = loadGoldenCases(CHECKED_IN_DIR).filter((c) => c.dy && Object.keys(c.grads).length && ADAPTERS[c.op]?.backward);
const statuses = await selectedBackends();

describe('coverage', () => {
  it('every exported gradient function is checked by at least one golden case', () => {
    const covered = new Set(cases.flatMap((c) => ADAPTERS[c.op].backwardNames));
    expect(exportedBackwards().filter((n) => !covered.has(n))).toEqual([]);
  });
});

async function f(c: GoldenCase, ins: Record<string, Tensor>, r: Float32Array, backend: BackendName): Promise<number> {
  const out = await ADAPTERS[c.op].forward(ins, c.options, backend);
  try {
    const y = await out.y.read();
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * r[i];
    return s;
  } finally {
    disposeAll(out);
  }
}

/** Returns a failure message, or '' when <grad, v> matches the central difference for input `name`. */
async function checkInput(c: GoldenCase, name: string, backend: BackendName, seed: number): Promise<string> {
  const adapter = ADAPTERS[c.op];
  const x0 = c.inputs[name];
  const rand = prng(seed);
  const v = Float64Array.from(x0.data, () => 2 * rand() - 1);
  const scale = x0.data.reduce((m, x) => Math.max(m, Math.abs(x)), 1);
  const eps = EPS_REL * scale;
  const ins = tensors(c.inputs);
  const dy = toTensor(c.dy!);
  let grads: Record<string, Tensor> | undefined;
  let fwd: Record<string, Tensor> | undefined;
  try {
    fwd = await adapter.forward(ins, c.options, backend);
    grads = await adapter.backward!(dy, ins, c.options, fwd, backend);
    const g = await grads[name].read();
    let an = 0, gn = 0, vn = 0;
    for (let i = 0; i < g.length; i++) {
      an += g[i] * v[i];
      gn += g[i] * g[i];
      vn += v[i] * v[i];
    }
    const at = async (sign: number) => {
      const shifted = tensor(Float32Array.from(x0.data, (x, i) => x + sign * eps * v[i]), x0.shape);
      try {
        return await f(c, { ...ins, [name]: shifted }, c.dy!.data, backend);
      } finally {
        shifted.dispose();
      }
    };
    const fd = ((await at(1)) - (await at(-1))) / (2 * eps);
    // relative to |<g, v>|, guarded by 1% of |g||v| against a direction nearly orthogonal to g
    const den = Math.abs(an) + 1e-2 * Math.sqrt(gn * vn);
    const rel = Math.abs(fd - an) / Math.max(den, 1e-12);
    return rel <= REL_TOL ? '' : `d${name}: <grad, v> = ${an.toPrecision(6)}, finite difference ${fd.toPrecision(6)} (relative error ${rel.toExponential(2)} > ${REL_TOL})`;
  } finally {
    disposeAll(ins, fwd, grads);
    dy.dispose();
  }
}

for (const b of statuses) {
  describe(`backend ${b.name}`, () => {
    if (!b.available) {
      console.warn(`[gradcheck] ${unavailableNote(b)}`);
      it.skip(`UNAVAILABLE: ${b.reason ?? 'no reason given'}`, () => {});
      return;
    }
    let seed = 1;
    for (const c of cases.filter((k) => opSelected(k.op))) {
      for (const name of Object.keys(c.grads)) {
        const s = seed++;
        it(`${c.op}/${c.name} d${name}`, async (ctx) => {
          const excluded = exclusionOf(b.name, c.op, c.name);
          if (excluded) ctx.skip(`excluded on ${b.name}: ${excluded}`);
          expect(await checkInput(c, name, b.name, s)).toBe('');
        });
      }
    }
  });
}
