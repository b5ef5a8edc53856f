/**
 * Every kernel of the wasm build against the native cpu backend, for each variant (plain, simd, simd-threads):
 * every golden case's op, forward and gradients, on fresh random inputs (the golden inputs scaled per element by a
 * seeded factor in [0.5, 1.5), which keeps each op's domain: positive stays positive, kinks stay away from 0).
 * Compared by normalised error max|wasm - cpu| / (max|cpu| + 1e-6) against WASM_VS_CPU below. The suite also
 * checks that every kernel the module registers ran at least once.
 *
 * The cpu backend is the reference here, so it must be available (it is wherever the addon builds).
 * Filters: MICRORECON_TEST_WASM_VARIANTS=simd-threads, MICRORECON_TEST_OPS=conv3d.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, ops, tensor, type Tensor } from '../../src/index.js';
import { ADAPTERS } from '../ops/adapters.js';
import { CHECKED_IN_DIR, loadGoldenCases, type GoldenArray, type GoldenCase } from '../ops/golden.js';
import { disposeAll, normalisedError, opSelected, prng } from '../ops/helpers.js';
import { classOf, type OpClass } from '../ops/tolerances.js';
import { kernelsRun, selectedVariants, useWasmVariant, type WasmVariant } from './helpers.js';
import type { WasmBackend } from '../../src/backends/wasm.js';

/**
 * wasm vs cpu, normalised error. Same C++ on both sides; what differs is the vector width of the summation
 * order (4 lanes vs AVX-512's 16), FMA contraction on x86, and the blocking of conv/gemm. Copies and pure
 * selections must be bit-exact.
 */
const WASM_VS_CPU: Record<OpClass, number> = {
  copy: 0, elementwise: 1e-6, transcendental: 1e-6, reduce: 1e-6, softmax: 1e-6, upsample: 1e-6, norm: 5e-6, conv: 5e-6, linear: 5e-6,
};

const cases = loadGoldenCases(CHECKED_IN_DIR).filter((c) => opSelected(c.op));
const cpu = (await backends()).find((b) => b.name === 'cpu')!;
const worst = new Map<string, number>();

function randomised(a: GoldenArray, rand: () => number): Tensor {
  return tensor(a.data.map((v) => v * (0.5 + rand())), a.shape);
}

async function compareCase(c: GoldenCase, variant: WasmVariant, seed: number): Promise<string[]> {
  const rand = prng(seed);
  const adapter = ADAPTERS[c.op];
  const ins = Object.fromEntries(Object.entries(c.inputs).map(([k, a]) => [k, randomised(a, rand)]));
  const dy = c.dy ? randomised(c.dy, rand) : undefined;
  const tol = WASM_VS_CPU[classOf(c.op)];
  const failures: string[] = [];
  const held: Array<Record<string, Tensor>> = [];
  try {
    const run = async (backend: 'cpu' | 'wasm') => {
      const fwd = await adapter.forward(ins, c.options, backend);
      held.push(fwd);
      const grads = dy && Object.keys(c.grads).length && adapter.backward ? await adapter.backward(dy, ins, c.options, fwd, backend) : {};
      held.push(grads);
      return { ...Object.fromEntries(Object.entries(fwd).map(([k, t]) => [`output ${k}`, t])), ...Object.fromEntries(Object.entries(grads).map(([k, t]) => [`grad ${k}`, t])) };
    };
    const want = await run('cpu');
    const got = await run('wasm');
    for (const [k, w] of Object.entries(want)) {
      const g = got[k];
      if (!g) { failures.push(`${k}: missing on wasm`); continue; }
      if (g.shape.join() !== w.shape.join()) { failures.push(`${k}: shape [${g.shape}] != [${w.shape}]`); continue; }
      const err = normalisedError(await g.read(), await w.read());
      const key = `${variant} ${classOf(c.op)}`;
      worst.set(key, Math.max(worst.get(key) ?? 0, err));
      if (!(err <= tol)) failures.push(`${k}: normalised error ${err.toExponential(2)} > ${tol}`);
    }
  } finally {
    disposeAll(ins, ...held);
    dy?.dispose();
  }
  return failures;
}

function rnd(shape: number[], rand: () => number): Tensor {
  const n = shape.reduce((p, q) => p * q, 1);
  return tensor(Float32Array.from({ length: n }, () => rand() * 2 - 1), shape);
}

/** Runs f on cpu and on wasm and returns the worst normalised error over its outputs. */
async function both(f: (backend: 'cpu' | 'wasm') => Promise<Tensor[]>): Promise<number> {
  const want = await f('cpu');
  const got = await f('wasm');
  let err = 0;
  for (let k = 0; k < want.length; k++) err = Math.max(err, normalisedError(await got[k].read(), await want[k].read()));
  [...want, ...got].forEach((t) => t.dispose());
  return err;
}

const LARGE: Array<[string, (rand: () => number) => Promise<number>]> = [
  ['conv3d 16->16, 20³, k3 p1, forward and both gradients', async (rand) => {
    const x = rnd([1, 16, 20, 20, 20], rand), w = rnd([16, 16, 3, 3, 3], rand), b = rnd([16], rand), dy = rnd([1, 16, 20, 20, 20], rand);
    return both(async (backend) => {
      const y = await ops.conv3d(x, w, { bias: b, padding: 1, backend });
      const g = await ops.conv3dBackward(dy, x, w, { bias: b, padding: 1, backend });
      return [y, g.dx, g.dw, g.db!];
    });
  }],
  ['conv2d 24->40, 37², k3 s2 p1 d1, groups 2', async (rand) => {
    const x = rnd([2, 24, 37, 37], rand), w = rnd([40, 12, 3, 3], rand), dy = rnd([2, 40, 19, 19], rand);
    return both(async (backend) => {
      const y = await ops.conv2d(x, w, { stride: 2, padding: 1, groups: 2, backend });
      const g = await ops.conv2dBackward(dy, x, w, { stride: 2, padding: 1, groups: 2, backend });
      return [y, g.dx, g.dw];
    });
  }],
  ['convTranspose3d 8->4, 9³, k4 s2 p1', async (rand) => {
    const x = rnd([1, 8, 9, 9, 9], rand), w = rnd([8, 4, 4, 4, 4], rand);
    return both(async (backend) => [await ops.convTranspose3d(x, w, { stride: 2, padding: 1, backend })]);
  }],
  ['linear 300x200 -> 150 with bias', async (rand) => {
    const x = rnd([300, 200], rand), w = rnd([150, 200], rand), b = rnd([150], rand);
    return both(async (backend) => [await ops.linear(x, w, { bias: b, backend })]);
  }],
];

describe('reference', () => {
  it('the native cpu backend is available as the reference', () => {
    expect(cpu.available, cpu.reason).toBe(true);
  });
});

for (const variant of selectedVariants()) {
  describe(`wasm ${variant} vs cpu`, () => {
    let backend: WasmBackend;
    beforeAll(async () => {
      backend = await useWasmVariant(variant);
    });
    it('loaded the requested variant', () => {
      expect(backend.details().variant).toBe(variant);
    });
    cases.forEach((c, i) => {
      it(`${c.op}/${c.name}`, async () => {
        expect(await compareCase(c, variant, 1000 + i)).toEqual([]);
      });
    });
    // Shapes large enough for the tiled conv engine and the blocked gemm (the golden shapes are small).
    for (const [what, run] of LARGE) {
      it(`large: ${what}`, async () => {
        const rand = prng(77);
        const err = await run(rand);
        worst.set(`${variant} large`, Math.max(worst.get(`${variant} large`) ?? 0, err));
        expect(err).toBeLessThanOrEqual(WASM_VS_CPU.conv);
      });
    }
    it('ran every kernel the module registers', () => {
      if (process.env.MICRORECON_TEST_OPS) return; // a filtered run cannot cover everything
      const registered = backend.kernelNames();
      expect(registered.length).toBeGreaterThan(10);
      expect(registered.filter((k) => !kernelsRun.get(variant)!.has(k))).toEqual([]);
    });
  });
}

afterAll(() => {
  const rows = [...worst.entries()].sort(([a], [b]) => a.localeCompare(b));
  console.log(`wasm vs cpu, worst normalised error per variant and op class:\n${rows.map(([k, v]) => `  ${k.padEnd(28)} ${v.toExponential(2)}`).join('\n')}`);
});
