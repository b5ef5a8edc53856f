/**
 * Every shipped model (whatever models/ holds) reconstructs a 64³ volume with the same labels on wasm as on
 * the native cpu backend: at least 99.9 % of voxels equal, same seed. The input is a smooth synthetic label
 * field with the model's phase count and section count, so the test needs no per-model data.
 * Every model runs on the threaded variant and the first one also on single-threaded SIMD;
 * MICRORECON_TEST_WASM_VARIANTS=plain,simd runs every model on those instead.
 */
import { describe, expect, it } from 'vitest';
import { backends, builtinModels, Reconstructor, type Volume } from '../../src/index.js';
import { prng } from '../ops/helpers.js';
import { useWasmVariant, type WasmVariant } from './helpers.js';

const SIZE = 64;
const MIN_EQUAL = 0.999;
const names = await builtinModels();
const cpuOk = (await backends()).find((b) => b.name === 'cpu')?.available;

/** k slices of P phases: a sum of random plane waves cut at equal-fraction quantiles. */
function syntheticInput(k: number, P: number, seed: number): Volume {
  const rand = prng(seed);
  const waves = Array.from({ length: 6 }, () => ({ fy: rand() * 0.3, fx: rand() * 0.3, ph: rand() * 6.283, fz: rand() * 0.2 }));
  const n = SIZE * SIZE;
  const field = new Float32Array(k * n);
  for (let z = 0; z < k; z++)
    for (let y = 0; y < SIZE; y++)
      for (let x = 0; x < SIZE; x++)
        field[z * n + y * SIZE + x] = waves.reduce((s, w) => s + Math.sin(w.fy * y + w.fx * x + w.fz * z * 9 + w.ph), 0);
  const sorted = Float32Array.from(field).sort();
  const cuts = Array.from({ length: P - 1 }, (_, i) => sorted[Math.floor(((i + 1) * sorted.length) / P)]);
  const data = Uint8Array.from(field, (v) => cuts.filter((c) => v >= c).length);
  return { shape: [k, SIZE, SIZE], data };
}

async function reconstruct(name: string, backend: 'cpu' | 'wasm'): Promise<Volume> {
  const rec = await Reconstructor.load(`builtin:${name}`, { backend });
  try {
    return await rec.reconstruct(syntheticInput(rec.info.k, rec.info.phases, 5), { size: SIZE, seed: 3 });
  } finally {
    rec.dispose();
  }
}

describe('shipped models: wasm labels = cpu labels', () => {
  it('there are shipped models and the cpu reference is available', () => {
    expect(names.length).toBeGreaterThan(0);
    expect(cpuOk).toBe(true);
  });
  // every model on the default (threaded) variant, the first one also single-threaded
  const env = process.env.MICRORECON_TEST_WASM_VARIANTS?.split(',') as WasmVariant[] | undefined;
  const runs: Array<[WasmVariant, string]> = env
    ? env.flatMap((v) => names.map((n): [WasmVariant, string] => [v, n]))
    : [...names.map((n): [WasmVariant, string] => ['simd-threads', n]), ...names.slice(0, 1).map((n): [WasmVariant, string] => ['simd', n])];
  for (const [variant, name] of runs)
    it(`${name} (${variant}), ${SIZE}³`, async () => {
      await useWasmVariant(variant);
      const want = await reconstruct(name, 'cpu');
      const got = await reconstruct(name, 'wasm');
      let equal = 0;
      for (let i = 0; i < want.data.length; i++) if (want.data[i] === got.data[i]) equal++;
      const fraction = equal / want.data.length;
      console.log(`${name} ${variant}: ${(fraction * 100).toFixed(4)} % of ${SIZE}³ labels equal to cpu`);
      expect(fraction).toBeGreaterThanOrEqual(MIN_EQUAL);
    });
});
