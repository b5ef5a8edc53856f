// The native kernels flush denormals (they slowed training by ~40 %), but only inside their own scope: JavaScript on
// the main thread must keep IEEE denormals after any call (a small conv3d runs synchronously there), and a
// solve must give the same bits whichever libuv thread ran it. The C++ side is checked in ops_check
// ("float mode"); this checks what a user of the package sees.
import { describe, expect, it } from 'vitest';
import { ops, tensor, tortuosity, type Tensor } from '../../src/index.js';
import { berea48 } from '../evaluate/helpers.js';
import { prng } from '../ops/helpers.js';

// Read through an array so that nothing can be folded at compile time.
const smallest = [Number.MIN_VALUE, 1e-310];
const denormalsWork = (): boolean => smallest[0]! * 3 === 1.5e-323 && smallest[1]! / 10 === 1e-311 && smallest[1]! > 0;

const rand = prng(11);
const t = (shape: number[]): Tensor => tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() - 0.5), shape);

describe('floating-point mode around native calls', () => {
  it('JavaScript keeps denormals after a small (synchronous) and a large (worker) conv3d', async () => {
    expect(denormalsWork()).toBe(true);
    const y = await ops.conv3d(t([1, 2, 8, 8, 8]), t([3, 2, 3, 3, 3]), { padding: 1, backend: 'cpu' });
    expect(y.shape).toEqual([1, 3, 8, 8, 8]);
    expect(denormalsWork()).toBe(true);
    const big = await ops.conv3d(t([1, 4, 24, 24, 24]), t([4, 4, 3, 3, 3]), { padding: 1, backend: 'cpu' });
    expect(big.shape).toEqual([1, 4, 24, 24, 24]);
    expect(denormalsWork()).toBe(true);
  });

  it('tortuosity gives the same bits on every run, with many solves in flight on the libuv pool', async () => {
    const vol = await berea48();
    const strip = (r: unknown): string => JSON.stringify(r, (k, v) => (/seconds/i.test(k) ? undefined : v));
    const runs = await Promise.all(Array.from({ length: 6 }, (_, i) => tortuosity(vol, { phase: i % 2 })));
    for (let i = 2; i < runs.length; ++i) expect(strip(runs[i]), `run ${i}`).toBe(strip(runs[i % 2]));
    expect(runs[0]!.x!.tortuosityFactor).toBeGreaterThan(1);
    expect(denormalsWork()).toBe(true);
  });
});
