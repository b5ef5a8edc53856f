/**
 * Transport solvers through the TypeScript wrapper: analytic tortuosity cases, the non-percolating result, thread
 * count and initial-guess independence, parallel plates and square duct permeability against the analytic values,
 * a Berea crop, progress, cancellation and bad input.
 */
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { AbortError, InvalidArgumentError } from '../../src/core/errors.js';
import { decodeNpy } from '../../src/io/npy.js';
import { loadTransportBinding } from '../../src/metrics/native-transport-binding.js';
import {
  MILLIDARCY_M2,
  permeability,
  tortuosity,
  type TransportVolume,
} from '../../src/metrics/native-transport.js';

const DATA = new URL('../../../shared/data/', import.meta.url);

function volume(nz: number, ny: number, nx: number, f: (z: number, y: number, x: number) => number): TransportVolume {
  const data = new Uint8Array(nz * ny * nx);
  for (let z = 0, i = 0; z < nz; ++z) for (let y = 0; y < ny; ++y) for (let x = 0; x < nx; ++x, ++i) data[i] = f(z, y, x);
  return { shape: [nz, ny, nx], data };
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A connected random medium: uniform noise box-blurred (radius 2) three times per axis, phase 1 below the quantile. */
function randomMedium(n: number, fraction: number, seed: number): TransportVolume {
  const r = rng(seed);
  let f = new Float64Array(n * n * n).map(() => r());
  const g = new Float64Array(f.length);
  const strides = [n * n, n, 1];
  for (let pass = 0; pass < 3; ++pass) {
    for (const s of strides) {
      for (let i = 0; i < f.length; ++i) {
        const c = Math.floor(i / s) % n;
        let acc = 0;
        let w = 0;
        for (let d = -2; d <= 2; ++d) {
          if (c + d < 0 || c + d >= n) continue;
          acc += f[i + d * s]!;
          w += 1;
        }
        g[i] = acc / w;
      }
      f = g.slice();
    }
  }
  const sorted = Float64Array.from(f).sort();
  const threshold = sorted[Math.floor(fraction * sorted.length)]!;
  return { shape: [n, n, n], data: Uint8Array.from(f, (v) => (v < threshold ? 1 : 0)) };
}

/** (berea == 0)[100:300]^3 from OpenPNM's test (True = pore), as a volume with phase 1 = pore, cropped to n^3. */
function bereaCrop(n: number): TransportVolume {
  const zip = unzipSync(new Uint8Array(readFileSync(new URL('berea/reference/openpnm_berea_100_300.npz', DATA))));
  const npy = decodeNpy(zip['im.npy']!, 'im.npy', 2 ** 31 - 1);
  const [N0, N1, N2] = npy.shape;
  const out = new Uint8Array(n * n * n);
  for (let z = 0, i = 0; z < n; ++z)
    for (let y = 0; y < n; ++y) for (let x = 0; x < n; ++x, ++i) out[i] = npy.data[(z * N1! + y) * N2! + x]! ? 1 : 0;
  expect(N0).toBe(200);
  return { shape: [n, n, n], data: out };
}

/** Mean flow through a square duct of side a per unit of its area, in units of a^2: (1 - 192/pi^5 sum tanh(k pi/2)/k^5)/12. */
function ductFactor(): number {
  let s = 0;
  for (let k = 1; k < 200; k += 2) s += Math.tanh((k * Math.PI) / 2) / k ** 5;
  return (1 - (192 / Math.PI ** 5) * s) / 12;
}

afterAll(async () => {
  (await loadTransportBinding()).setNumThreads(0);
});

describe('tortuosity', () => {
  it('straight channels give tau = 1 exactly along their axis', async () => {
    for (const axis of ['x', 'y', 'z'] as const) {
      const v = volume(20, 22, 24, (z, y, x) => {
        const c = { z, y, x };
        const [u, w] = axis === 'x' ? [c.y, c.z] : axis === 'y' ? [c.x, c.z] : [c.x, c.y];
        return u % 4 < 2 && w % 5 < 3 ? 1 : 0;
      });
      const r = await tortuosity(v, { phase: 1, axes: [axis] });
      const t = r[axis]!;
      expect(t.percolates).toBe(true);
      expect(t.converged).toBe(true);
      expect(Math.abs(t.tortuosityFactor! - 1)).toBeLessThan(1e-6);
      expect(Math.abs(t.relativeDiffusivity - r.volumeFraction)).toBeLessThan(1e-6);
    }
  });

  it('a slab normal to the axis gives the typed non-percolating result, the other axes stay open', async () => {
    const v = volume(16, 16, 16, (z) => (z === 7 ? 0 : 1));
    const r = await tortuosity(v, { phase: 1 });
    expect(r.z).toMatchObject({ percolates: false, relativeDiffusivity: 0, tortuosityFactor: null, formationFactor: null, connectedFraction: 0 });
    expect(r.x!.percolates).toBe(true);
    expect(r.x!.relativeDiffusivity).toBeCloseTo(15 / 16, 9);
    expect(r.x!.tortuosityFactor).toBeCloseTo(1, 9);
    // The slab phase itself spans x and y but not z.
    const s = await tortuosity(v, { phase: 0 });
    expect(s.z!.percolates).toBe(false);
    expect(s.x!.tortuosityFactor).toBeCloseTo(1, 9);
    for (const a of [r.x!, r.y!, r.z!, s.x!, s.y!, s.z!]) {
      expect(Number.isFinite(a.relativeDiffusivity)).toBe(true);
    }
  });

  it('removes clusters that do not touch both faces (dead ends carry no flux)', async () => {
    // A straight channel along x plus an isolated block and a dead-end branch.
    const v = volume(12, 12, 12, (z, y, x) => ((y === 2 && z === 2) || (y >= 6 && y < 9 && z >= 6 && z < 9 && x >= 3 && x < 7) || (x === 5 && z === 2 && y < 5) ? 1 : 0));
    const r = await tortuosity(v, { phase: 1, axes: ['x'] });
    expect(r.x!.relativeDiffusivity).toBeCloseTo(1 / 144, 10);
    expect(r.x!.connectedFraction * 12 ** 3).toBeCloseTo(12 + 4, 6); // the channel and the dead end
  });

  it('a random medium: same D_eff for 1 and 2 threads (bitwise), both initial guesses, and Jacobi vs multigrid', async () => {
    const v = randomMedium(40, 0.4, 11);
    const b = await loadTransportBinding();
    b.setNumThreads(1);
    const one = await tortuosity(v, { phase: 1 });
    b.setNumThreads(2);
    const two = await tortuosity(v, { phase: 1 });
    const linear = await tortuosity(v, { phase: 1, initialGuess: 'linear' });
    const jacobi = await tortuosity(v, { phase: 1, preconditioner: 'jacobi', axes: ['x'] });
    b.setNumThreads(0);
    for (const axis of ['x', 'y', 'z'] as const) {
      const a = one[axis]!;
      expect(a.percolates).toBe(true);
      expect(a.converged).toBe(true);
      expect(a.residual).toBeLessThanOrEqual(1e-6);
      expect(a.tortuosityFactor!).toBeGreaterThan(1);
      expect(two[axis]!.relativeDiffusivity).toBe(a.relativeDiffusivity);
      expect(Math.abs(linear[axis]!.relativeDiffusivity / a.relativeDiffusivity - 1)).toBeLessThan(1e-7);
    }
    expect(Math.abs(jacobi.x!.relativeDiffusivity / one.x!.relativeDiffusivity - 1)).toBeLessThan(1e-7);
    expect(jacobi.x!.iterations).toBeGreaterThan(3 * one.x!.iterations);
  });

  it('reports progress that increases, and 1 at the end', async () => {
    const v = randomMedium(48, 0.35, 3);
    const seen: number[] = [];
    await tortuosity(v, { phase: 1, preconditioner: 'jacobi', tolerance: 1e-9, progressIntervalMs: 5, onProgress: (f) => seen.push(f) });
    expect(seen.length).toBeGreaterThan(2);
    for (let i = 1; i < seen.length; ++i) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
    expect(seen[seen.length - 1]).toBe(1);
    expect(seen[0]!).toBeGreaterThanOrEqual(0);
  });

  it('stops on AbortSignal with AbortError (ERR_ABORTED) and the addon keeps working', async () => {
    const v = randomMedium(64, 0.35, 5);
    const ac = new AbortController();
    const p = tortuosity(v, {
      phase: 1,
      preconditioner: 'jacobi',
      tolerance: 1e-12,
      progressIntervalMs: 5,
      signal: ac.signal,
      onProgress: (f) => {
        if (f > 0.05) ac.abort();
      },
    });
    const t0 = performance.now();
    await expect(p).rejects.toBeInstanceOf(AbortError);
    await expect(p).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await expect(p).rejects.toThrow(/^tortuosity: the solve was cancelled$/);
    expect(performance.now() - t0).toBeLessThan(30_000);
    // An already aborted signal rejects at once.
    await expect(tortuosity(v, { phase: 1, signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    // The next solve runs normally.
    const ok = await tortuosity(volume(8, 8, 8, () => 1), { phase: 1 });
    expect(ok.x!.tortuosityFactor).toBeCloseTo(1, 9);
  });

  it('documented values: all one phase, one voxel thick', async () => {
    const full = await tortuosity(volume(6, 7, 8, () => 2), { phase: 2 });
    for (const a of [full.x!, full.y!, full.z!]) {
      expect(a.relativeDiffusivity).toBeCloseTo(1, 9);
      expect(a.tortuosityFactor).toBeCloseTo(1, 9);
    }
    // A 2D image (one voxel thick along z): along z every conducting voxel is its own column.
    const img = volume(1, 16, 16, (_z, y, x) => ((x * 7 + y * 3) % 5 < 2 ? 1 : 0));
    const r = await tortuosity(img, { phase: 1 });
    expect(r.z!.relativeDiffusivity).toBeCloseTo(r.volumeFraction, 9);
    expect(r.z!.tortuosityFactor).toBeCloseTo(1, 9);
    expect(Number.isFinite(r.x!.relativeDiffusivity)).toBe(true);
  });

  it('refuses bad input with typed errors', async () => {
    const v = volume(4, 4, 4, () => 1);
    const bad: [TransportVolume, object][] = [
      [{ shape: [0, 4, 4], data: new Uint8Array(0) }, { phase: 1 }],
      [{ shape: [4, 4, 4], data: new Uint8Array(63) }, { phase: 1 }],
      [{ shape: [4, 4], data: new Uint8Array(16) } as unknown as TransportVolume, { phase: 1 }],
      [{ shape: [4, 4, 4], data: new Float32Array(64) } as unknown as TransportVolume, { phase: 1 }],
      [v, { phase: 1.5 }],
      [v, { phase: -1 }],
      [v, { phase: 7 }], // not present
      [v, { phase: 1, axes: ['w'] }],
      [v, { phase: 1, axes: ['x', 'x'] }],
      [v, { phase: 1, tolerance: Number.NaN }],
      [v, { phase: 1, tolerance: 0 }],
      [v, { phase: 1, initialGuess: 'random' }],
    ];
    for (const [vol, opts] of bad) {
      await expect(tortuosity(vol, opts as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    }
  });
});

describe('permeability', () => {
  it('parallel plates: k = h^2/12 * porosity within 1 % at h = 10, and converging with resolution', async () => {
    const err: number[] = [];
    for (const h of [10, 20]) {
      // Flow along x between solid plates (y = 0 and y = h + 1); periodic side faces, so no other walls.
      const v = volume(2, h + 2, 4, (_z, y) => (y >= 1 && y <= h ? 0 : 1));
      const r = await permeability(v, { phase: 0, axes: ['x'], sides: 'periodic', reservoirLayers: 0, tau: 1, tolerance: 1e-6 });
      const exact = ((h * h) / 12) * (h / (h + 2));
      expect(r.x!.converged).toBe(true);
      err.push(r.x!.permeability / exact - 1);
    }
    expect(Math.abs(err[0]!)).toBeLessThan(0.01);
    // The voxel flux is the midpoint rule of the parabola: k_lattice = (h^2/12 + 1/24) * porosity.
    expect(err[0]).toBeCloseTo(1 / 200, 4);
    expect(Math.abs(err[1]!)).toBeLessThan(Math.abs(err[0]!) / 3);
  });

  it('square duct: k within 1 % of the series solution at a = 10, converging with resolution', async () => {
    const err: number[] = [];
    for (const a of [10, 20]) {
      const v = volume(a, a, 3, () => 0);
      const r = await permeability(v, { phase: 0, axes: ['x'], reservoirLayers: 0, tau: 1, tolerance: 1e-6 });
      err.push(r.x!.permeability / (a * a * ductFactor()) - 1);
      expect(r.x!.porosity).toBe(1);
    }
    expect(Math.abs(err[0]!)).toBeLessThan(0.01);
    expect(Math.abs(err[1]!)).toBeLessThan(Math.abs(err[0]!) / 3);
  });

  it('a duct along each axis gives the same k; reservoirs do not change a uniform duct; units', async () => {
    const a = 8;
    const ks: number[] = [];
    for (const axis of ['x', 'y', 'z'] as const) {
      const v = axis === 'x' ? volume(a, a, 6, () => 0) : axis === 'y' ? volume(a, 6, a, () => 0) : volume(6, a, a, () => 0);
      const r = await permeability(v, { phase: 0, axes: [axis], reservoirLayers: 0, tau: 1, tolerance: 1e-6, spacing: 2e-6 });
      const k = r[axis]!;
      ks.push(k.permeability);
      expect(k.permeabilityM2).toBeCloseTo(k.permeability * 4e-12, 20);
      expect(k.permeabilityMilliDarcy!).toBeCloseTo((k.permeability * 4e-12) / MILLIDARCY_M2, 6);
    }
    expect(Math.abs(ks[1]! / ks[0]! - 1)).toBeLessThan(1e-4);
    expect(Math.abs(ks[2]! / ks[0]! - 1)).toBeLessThan(1e-4);
    const withRes = await permeability(volume(a, a, 16, () => 0), { phase: 0, axes: ['x'], tau: 1, tolerance: 1e-6 });
    expect(Math.abs(withRes.x!.permeability / ks[0]! - 1)).toBeLessThan(1e-3);
  });

  it('gives the same k (bitwise) for 1 and 2 threads', async () => {
    const v = randomMedium(24, 0.45, 21);
    const b = await loadTransportBinding();
    b.setNumThreads(1);
    const one = await permeability(v, { phase: 1, axes: ['y'] });
    b.setNumThreads(2);
    const two = await permeability(v, { phase: 1, axes: ['y'] });
    b.setNumThreads(0);
    expect(one.y!.percolates).toBe(true);
    expect(two.y!.permeability).toBe(one.y!.permeability);
    expect(two.y!.steps).toBe(one.y!.steps);
  });

  it('a blocked axis gives k = 0 with percolates: false', async () => {
    const v = volume(12, 12, 12, (_z, _y, x) => (x === 6 ? 1 : 0));
    const r = await permeability(v, { phase: 0, axes: ['x', 'y'], tau: 1 });
    expect(r.x).toMatchObject({ percolates: false, permeability: 0, permeabilityM2: null });
    expect(r.y!.percolates).toBe(true);
    expect(r.y!.permeability).toBeGreaterThan(0);
  });

  it('refuses bad input with typed errors', async () => {
    const v = volume(4, 4, 4, () => 0);
    const bad: object[] = [
      { phase: 0, spacing: Number.NaN },
      { phase: 0, spacing: [1e-6, 1e-6, Number.NaN] },
      { phase: 0, spacing: [1e-6, 1e-6, 2e-6] },
      { phase: 0, spacing: -1 },
      { phase: 0, tau: 0.5 },
      { phase: 0, reservoirLayers: -1 },
      { phase: 0, reservoirLayers: 1 },
      { phase: 0, sides: 'open' },
      { phase: 3 },
    ];
    for (const opts of bad) await expect(permeability(v, opts as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(permeability({ shape: [4, 4, 0], data: new Uint8Array(0) }, { phase: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('stops on AbortSignal', async () => {
    const v = randomMedium(40, 0.35, 9);
    const ac = new AbortController();
    const p = permeability(v, { phase: 1, axes: ['x'], tolerance: 1e-9, progressIntervalMs: 5, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toMatchObject({ code: 'ERR_ABORTED' });
  });
});

describe('Berea crop (OpenPNM test volume, pore = phase 1)', () => {
  it('64^3 tortuosity / formation factor and 48^3 permeability along x, y, z', async () => {
    const v = bereaCrop(64);
    const t = await tortuosity(v, { phase: 1 });
    const k = await permeability(bereaCrop(48), { phase: 1, spacing: 5.345e-6 });
    const rows = (['x', 'y', 'z'] as const).map((a) => ({
      axis: a,
      D: t[a]!.relativeDiffusivity,
      tau: t[a]!.tortuosityFactor,
      F: t[a]!.formationFactor,
      it: t[a]!.iterations,
      k_mD: k[a]!.permeabilityMilliDarcy,
      steps: k[a]!.steps,
    }));
    console.log('Berea crop: porosity 64^3', t.volumeFraction.toFixed(4), '48^3', k.porosity.toFixed(4), JSON.stringify(rows));
    for (const a of ['x', 'y', 'z'] as const) {
      expect(t[a]!.percolates).toBe(true);
      expect(t[a]!.converged).toBe(true);
      expect(t[a]!.formationFactor!).toBeGreaterThan(10);
      expect(t[a]!.formationFactor!).toBeLessThan(100);
      expect(k[a]!.converged).toBe(true);
      expect(k[a]!.permeabilityMilliDarcy!).toBeGreaterThan(100);
      expect(k[a]!.permeabilityMilliDarcy!).toBeLessThan(10000);
    }
  });
});
