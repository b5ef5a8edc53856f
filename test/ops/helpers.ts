/** Shared pieces of the op suites: env filters, tensors from golden arrays, error measures, a seeded PRNG. */
import { backends, tensor, type BackendName, type BackendStatus, type Tensor } from '../../src/index.js';
import type { GoldenArray } from './golden.js';

/** Comma-separated env list, or undefined when unset/empty. */
export function envList(name: string): string[] | undefined {
  const v = process.env[name]?.trim();
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}

/** MICRORECON_TEST_OPS=conv3d,upsample: only these ops (undefined: all). */
export const OPS_FILTER = envList('MICRORECON_TEST_OPS');
/** MICRORECON_TEST_BACKENDS=cpu: only these backends (undefined: all). */
export const BACKENDS_FILTER = envList('MICRORECON_TEST_BACKENDS');

export const opSelected = (op: string) => !OPS_FILTER || OPS_FILTER.includes(op);

/** The backends to test: every one `backends()` lists (available or not), minus the env filter. */
export async function selectedBackends(): Promise<BackendStatus[]> {
  const all = await backends();
  return all.filter((b) => !BACKENDS_FILTER || BACKENDS_FILTER.includes(b.name));
}

export function unavailableNote(b: BackendStatus): string {
  return `backend '${b.name}' is unavailable here, its cases did not run: ${b.reason ?? 'no reason given'}`;
}

export function toTensor(a: GoldenArray): Tensor {
  return tensor(a.data, a.shape);
}

export function tensors(arrays: Record<string, GoldenArray>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(arrays).map(([k, a]) => [k, toTensor(a)]));
}

/** max|got - want| / (max|want| + 1e-6) */
export function normalisedError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    num = Number.isNaN(d) ? Infinity : Math.max(num, d);
    den = Math.max(den, Math.abs(want[i]));
  }
  return num / (den + 1e-6);
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function disposeAll(...groups: Array<Record<string, Tensor> | Tensor[] | undefined>): void {
  for (const g of groups) if (g) for (const t of Object.values(g)) t.dispose();
}

export type { BackendName };
