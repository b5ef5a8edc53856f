/**
 * The differential suite: every golden case (PyTorch, test/golden/cases) on every backend `backends()` lists,
 * forward outputs and gradients compared by normalised error against the per-op, per-backend tolerance of
 * test/ops/tolerances.ts. An unavailable backend is reported loudly (console.warn + a skipped entry naming the
 * reason); on a non-reference backend an op it does not implement is reported and skipped, never passed.
 *
 * Filters: MICRORECON_TEST_OPS=conv3d,upsample  MICRORECON_TEST_BACKENDS=cpu
 * MICRORECON_TEST_REPORT=1 prints the worst error per op and backend at the end.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, NotSupportedError, type Tensor } from '../../src/index.js';
import { ADAPTERS } from './adapters.js';
import { loadGoldenCases, type GoldenCase } from './golden.js';
import {
  BACKENDS_FILTER, disposeAll, normalisedError, OPS_FILTER, opSelected, selectedBackends, tensors, toTensor,
  unavailableNote, type BackendName,
} from './helpers.js';
import { exclusionOf, REFERENCE_BACKENDS, toleranceOf } from './tolerances.js';

const cases = loadGoldenCases();
const statuses = await selectedBackends();
const worst = new Map<string, number>();

function record(backend: string, op: string, err: number) {
  const k = `${backend} ${op}`;
  worst.set(k, Math.max(worst.get(k) ?? 0, err));
}

describe('filters', () => {
  it('MICRORECON_TEST_OPS names ops that have golden cases', () => {
    const known = new Set(cases.map((c) => c.op));
    expect((OPS_FILTER ?? []).filter((o) => !known.has(o))).toEqual([]);
  });
  it('MICRORECON_TEST_BACKENDS names known backends', () => {
    expect((BACKENDS_FILTER ?? []).filter((n) => !statuses.some((b) => b.name === n))).toEqual([]);
  });
  it('every golden op has an adapter', () => {
    expect([...new Set(cases.map((c) => c.op))].filter((o) => !ADAPTERS[o])).toEqual([]);
  });
});

async function check(c: GoldenCase, backend: BackendName): Promise<string[]> {
  const adapter = ADAPTERS[c.op];
  const tol = toleranceOf(backend, c.op);
  const ins = tensors(c.inputs);
  const copies = Object.fromEntries(Object.entries(c.inputs).map(([k, a]) => [k, a.data.slice()]));
  const failures: string[] = [];
  const compare = async (what: string, got: Tensor | undefined, want: { shape: number[]; data: Float32Array }) => {
    if (!got) return failures.push(`${what}: missing`);
    if (got.shape.join() !== want.shape.join()) return failures.push(`${what}: shape [${got.shape}] != [${want.shape}]`);
    const err = normalisedError(await got.read(), want.data);
    record(backend, c.op, err);
    if (!(err <= tol)) failures.push(`${what}: normalised error ${err.toExponential(2)} > ${tol.toExponential(0)}`);
  };
  let fwd: Record<string, Tensor> | undefined;
  let grads: Record<string, Tensor> | undefined;
  let dy: Tensor | undefined;
  try {
    fwd = await adapter.forward(ins, c.options, backend);
    for (const [k, want] of Object.entries(c.outputs)) await compare(`output ${k}`, fwd[k], want);
    if (c.dy && Object.keys(c.grads).length && adapter.backward) {
      dy = toTensor(c.dy);
      grads = await adapter.backward(dy, ins, c.options, fwd, backend);
      for (const [k, want] of Object.entries(c.grads)) await compare(`grad ${k}`, grads[k], want);
    }
    // ops never modify their inputs
    for (const [k, t] of Object.entries(ins)) if (normalisedError(await t.read(), copies[k]) !== 0) failures.push(`input ${k} was modified`);
  } finally {
    disposeAll(ins, fwd, grads);
    dy?.dispose();
  }
  return failures;
}

for (const b of statuses) {
  describe(`backend ${b.name}`, () => {
    if (!b.available) {
      console.warn(`[differential] ${unavailableNote(b)}`);
      it.skip(`UNAVAILABLE: ${b.reason ?? 'no reason given'}`, () => {});
      return;
    }
    const reference = REFERENCE_BACKENDS.includes(b.name);
    for (const c of cases.filter((k) => opSelected(k.op))) {
      const hasGrads = c.dy !== null && Object.keys(c.grads).length > 0;
      const noBackward = hasGrads && !ADAPTERS[c.op]?.backward;
      if (noBackward) it.skip(`${c.op}/${c.name} gradients: ${ADAPTERS[c.op]?.noBackward ?? 'no SDK gradient'}`, () => {});
      const grad = hasGrads && !noBackward ? ' +grads' : '';
      it(`${c.op}/${c.name}${grad}`, async (ctx) => {
        const excluded = exclusionOf(b.name, c.op, c.name);
        if (excluded) {
          console.warn(`[differential] ${b.name} ${c.op}/${c.name} excluded: ${excluded}`);
          ctx.skip(`excluded on ${b.name}: ${excluded}`);
        }
        try {
          expect(await check(c, b.name)).toEqual([]);
        } catch (err) {
          const unsupported = err instanceof NotSupportedError || (err instanceof BackendUnavailableError && /does not implement/.test(err.message));
          if (unsupported && !reference) {
            console.warn(`[differential] ${b.name} does not support ${c.op}/${c.name}: ${(err as Error).message}`);
            ctx.skip(`unsupported on ${b.name}: ${(err as Error).message}`);
          }
          throw err;
        }
      });
    }
  });
}

afterAll(() => {
  if (!process.env.MICRORECON_TEST_REPORT) return;
  const rows = [...worst.entries()].sort(([a], [b]) => a.localeCompare(b));
  console.log(`worst normalised error per backend and op:\n${rows.map(([k, v]) => `  ${k.padEnd(28)} ${v.toExponential(2)}`).join('\n')}`);
});
