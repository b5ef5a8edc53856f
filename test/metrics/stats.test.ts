/**
 * Native statistics through the TypeScript wrapper: analytic cases, golden values (scikit-image), the Berea
 * reference S2 curves, bad input, cancellation and thread-count independence.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AbortError, InvalidArgumentError } from '../../src/core/errors.js';
import { loadNativeBinding } from '../../src/backends/native-binding.js';
import { readVolume } from '../../src/io/index.js';
import {
  compareVolumes,
  labelCounts,
  phaseStatistics,
  statisticsConstants,
  type LabelVolume,
} from '../../src/metrics/native-stats.js';

const DATA = new URL('../../../shared/data/', import.meta.url);

function volume(nz: number, ny: number, nx: number, f: (z: number, y: number, x: number) => number): LabelVolume {
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

/** Gaussian noise, box-blurred twice along each axis (radius rx along x, 2 along y and z), split at the median. */
function blobs(n: number, nz: number, rx: number, seed: number): LabelVolume {
  const r = rng(seed);
  let f = new Float64Array(nz * n * n);
  for (let i = 0; i < f.length; ++i) f[i] = Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const blur = (stride: number, len: number, radius: number) => {
    const g = new Float64Array(f.length);
    for (let i = 0; i < f.length; ++i) {
      const c = Math.floor(i / stride) % len;
      let s = 0;
      let k = 0;
      for (let d = -radius; d <= radius; ++d) {
        if (c + d < 0 || c + d >= len) continue;
        s += f[i + d * stride];
        ++k;
      }
      g[i] = s / k;
    }
    f = g;
  };
  for (let pass = 0; pass < 2; ++pass) {
    blur(1, n, rx);
    blur(n, n, 2);
    if (nz > 1) blur(n * n, nz, 2);
  }
  const median = Float64Array.from(f).sort()[f.length >> 1];
  const data = new Uint8Array(f.length);
  for (let i = 0; i < f.length; ++i) data[i] = f[i] < median ? 1 : 0;
  return { shape: [nz, n, n], data };
}

const ball = (n: number, c: number, r: number) =>
  volume(n, n, n, (z, y, x) => ((z - c) ** 2 + (y - c) ** 2 + (x - c) ** 2 <= r * r ? 1 : 0));

describe('two-point correlation', () => {
  it('S2(0) is the volume fraction and S2 tends to phi^2 for a random medium', async () => {
    const r = rng(7);
    const v = volume(48, 48, 48, () => (r() < 0.3 ? 1 : 0));
    const s = await phaseStatistics(v, 1, { statistics: ['twoPoint', 'radialTwoPoint'] });
    const phi = s.volumeFraction;
    expect(s.phaseVoxels).toBe(v.data.reduce((a, b) => a + b, 0));
    for (const ax of ['x', 'y', 'z'] as const) {
      const c = s.twoPointCorrelation![ax]!;
      expect(c.length).toBe(25); // lags 0..min(48 / 2, 100)
      expect(c[0]).toBe(phi);
      for (let lag = 1; lag < c.length; ++lag) expect(Math.abs(c[lag] - phi * phi)).toBeLessThan(0.01);
    }
    const radial = s.radialTwoPointCorrelation!;
    expect(radial.values.length).toBe(25);
    expect(radial.values[0]).toBe(phi);
    expect(radial.pairs[0]).toBe(48 ** 3);
    for (let b = 1; b < radial.values.length; ++b) expect(Math.abs(radial.values[b] - phi * phi)).toBeLessThan(0.003);
  });

  it('S2 of a correlated medium decays from phi to phi^2 at large lags', async () => {
    const v = blobs(48, 48, 2, 3);
    const s = await phaseStatistics(v, 1, { statistics: ['twoPoint'] });
    const phi = s.volumeFraction;
    const x = s.twoPointCorrelation!.x!;
    expect(x[0]).toBe(phi);
    expect(x[1]).toBeGreaterThan(phi * phi + 0.5 * (phi - phi * phi)); // strongly correlated at lag 1
    expect(Math.abs(x[24] - phi * phi)).toBeLessThan(0.03);
  });

  it('matches the Berea reference curves (berea_orig_pph.csv) and porosity', async () => {
    const vol = await readVolume(new URL('berea/berea.tif', DATA).pathname);
    expect(vol.shape).toEqual([400, 400, 400]);
    expect(vol.labels).toEqual([0, 255]); // phase 0 = pore
    const s = await phaseStatistics(vol, 0, { statistics: ['twoPoint'] });
    expect(s.volumeFraction).toBeCloseTo(0.196, 3);
    // Reference columns (PorousMediaGan code/notebooks/covariance/utilities.py): x = pairs along array axis 0
    // (our z), y = along axis 2 (our x), z = along axis 1 (our y); per-line mean over n - r pairs, lags 0..399.
    const rows = readFileSync(new URL('berea/reference/berea_orig_pph.csv', DATA), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').map(Number));
    const column = { z: 0, x: 1, y: 2 } as const;
    for (const ax of ['x', 'y', 'z'] as const) {
      const ours = s.twoPointCorrelation![ax]!;
      expect(ours.length).toBe(101);
      let worst = 0;
      ours.forEach((v, lag) => (worst = Math.max(worst, Math.abs(v - rows[lag][column[ax]]))));
      expect(worst).toBeLessThan(1e-3);
      expect(worst).toBeLessThan(1e-9); // in fact equal up to the CSV's printed digits
    }
  });
});

describe('surface area', () => {
  it('a cube face count is exact', async () => {
    const v = volume(20, 20, 20, (z, y, x) => (z >= 5 && z < 15 && y >= 5 && y < 15 && x >= 5 && x < 15 ? 1 : 0));
    const s = await phaseStatistics(v, 1, { statistics: ['surfaceArea'] });
    expect(s.surfaceArea!.faces).toBe(600);
    expect(s.surfaceArea!.faceCount).toBe(600 / 8000);
  });

  it('a sphere of radius 20: marching cubes as scikit-image, corrected area within 2 %', async () => {
    const v = ball(64, 31.5, 20);
    const s = await phaseStatistics(v, 1, { statistics: ['surfaceArea'] });
    const exact = 4 * Math.PI * 400;
    const sa = s.surfaceArea!;
    // skimage.measure.marching_cubes(level=0.5) + mesh_surface_area: 5494.5459 (float32), both methods.
    expect(sa.meshArea).toBeCloseTo(5494.546, 2);
    expect(sa.marchingCubes).toBeCloseTo(sa.meshArea / 64 ** 3, 15);
    expect(Math.abs((sa.marchingCubesCorrected * 64 ** 3) / exact - 1)).toBeLessThan(0.02);
    const k = await statisticsConstants();
    expect(sa.meshBias).toBe(k.meshBias3d);
    expect(k.meshBias3d).toBeCloseTo(1.088, 3);
  });
});

describe('connectivity and Euler characteristic', () => {
  it('ball 1, torus 0, hollow sphere 2', async () => {
    const euler = async (v: LabelVolume) =>
      (await phaseStatistics(v, 1, { statistics: ['connectivity'] })).connectivity!.eulerCharacteristic;
    expect(await euler(ball(48, 23.5, 15))).toBe(1);
    const torus = volume(48, 48, 48, (z, y, x) => {
      const q = Math.hypot(x - 23.5, y - 23.5) - 16;
      return q * q + (z - 23.5) ** 2 <= 36 ? 1 : 0;
    });
    expect(await euler(torus)).toBe(0);
    const shell = volume(64, 64, 64, (z, y, x) => {
      const r2 = (z - 31.5) ** 2 + (y - 31.5) ** 2 + (x - 31.5) ** 2;
      return r2 <= 400 && r2 >= 144 ? 1 : 0;
    });
    expect(await euler(shell)).toBe(2);
  });

  it('two separate blobs are two components; a channel percolates only along its axis', async () => {
    const two = volume(20, 30, 40, (z, y, x) =>
      (z >= 2 && z < 8 && y >= 2 && y < 8 && x >= 2 && x < 8) || (z >= 12 && z < 18 && y >= 17 && y < 23 && x >= 27 && x < 33)
        ? 1
        : 0,
    );
    const c2 = (await phaseStatistics(two, 1, { statistics: ['connectivity'] })).connectivity!;
    expect(c2.components).toBe(2);
    expect(c2.largestComponentFraction).toBe(0.5);
    const channel = volume(20, 30, 40, (z, _y, x) => (z >= 8 && z < 12 && x >= 18 && x < 22 ? 1 : 0));
    const c = (await phaseStatistics(channel, 1, { statistics: ['connectivity'] })).connectivity!;
    expect(c.components).toBe(1);
    expect(c.percolates).toEqual({ x: false, y: true, z: false });
  });
});

describe('lineal path, chords, local thickness', () => {
  it('chords of a striped pattern are exact', async () => {
    // along x: period 7, phase at x % 7 in {2, 3, 4}: ten chords of 3 per row, none touching the faces
    const v = volume(4, 5, 70, (_z, _y, x) => (x % 7 >= 2 && x % 7 <= 4 ? 1 : 0));
    const s = await phaseStatistics(v, 1, { statistics: ['chordLength', 'linealPath'] });
    const cx = s.chordLength!.x!;
    expect(cx).toEqual({ counts: [0, 0, 0, 200], total: 200, mean: 3, excludedBoundaryRuns: 0 });
    // along y and z every run spans the volume and touches both faces: excluded
    expect(s.chordLength!.y).toEqual({ counts: [0], total: 0, mean: null, excludedBoundaryRuns: 120 });
    const lx = s.linealPath!.x!;
    expect(lx[0]).toBe(3 / 7);
    expect(lx[1]).toBeCloseTo((2 * 10 * 20) / (20 * 69), 15); // two segments of lag 1 per stripe
    expect(lx[2]).toBeCloseTo((10 * 20) / (20 * 68), 15);
    expect(lx[3]).toBe(0);
    expect(s.linealPath!.y!).toEqual([3 / 7, 3 / 7, 3 / 7]); // lags 0..floor(5 / 2)
  });

  it('local thickness of a slab of thickness t is t (odd) or t - 1 (even)', async () => {
    for (const t of [5, 6]) {
      const v = volume(30, 24, 24, (z) => (z >= 10 && z < 10 + t ? 1 : 0));
      const p = (await phaseStatistics(v, 1, { statistics: ['poreSize'] })).poreSizeDistribution!;
      expect(p.method).toBe('local-thickness');
      expect(Math.abs(p.mean - t)).toBeLessThanOrEqual(1);
      expect(p.mean).toBe(t % 2 ? t : t - 1);
      expect(p.counts.reduce((a, b) => a + b, 0)).toBe(t * 24 * 24);
    }
  });
});

describe('anisotropy', () => {
  it('an isotropic random medium reads isotropic; fibres along x read anisotropic along x', async () => {
    const iso = (await phaseStatistics(blobs(64, 64, 2, 21), 1, { statistics: ['anisotropy'] })).anisotropy!;
    expect(iso.degree!).toBeLessThan(0.1);
    expect(iso.isotropic).toBe(true);
    expect(iso.directions).toBe(256);
    const fib = (await phaseStatistics(blobs(64, 64, 8, 22), 1, { statistics: ['anisotropy'] })).anisotropy!;
    expect(fib.degree!).toBeGreaterThan(0.3);
    expect(fib.isotropic).toBe(false);
    expect(fib.principalDirections[0].x).toBeGreaterThan(0.95);
    expect(fib.milLengths[0]!).toBeGreaterThan(fib.milLengths[2]!);
    expect(fib.correlationLength.x!).toBeGreaterThan(1.5 * fib.correlationLength.y!);
  });

  it('works on 2D images (z = 1)', async () => {
    const s = await phaseStatistics(blobs(128, 1, 8, 5), 1);
    expect(s.dimensions).toBe(2);
    expect(s.twoPointCorrelation!.z).toBeNull();
    expect(s.chordLength!.z).toBeNull();
    expect(s.connectivity!.percolates.z).toBeNull();
    const a = s.anisotropy!;
    expect(a.principalDirections.length).toBe(2);
    expect(a.principalDirections[0].x).toBeGreaterThan(0.95);
    expect(a.principalDirections[0].z).toBe(0);
    expect(a.correlationLength.z).toBeNull();
    expect(a.isotropic).toBe(false);
    expect(s.surfaceArea!.marchingCubes).toBeGreaterThan(0);
    expect(s.poreSizeDistribution!.mean).toBeGreaterThan(1);
  });
});

describe('volume comparison', () => {
  const a = volume(12, 14, 16, (z, y, x) => (Math.floor(x / 4) + Math.floor(y / 5) + Math.floor(z / 3)) % 3);
  it('SSIM and PSNR as scikit-image', async () => {
    const b = volume(12, 14, 16, (z, y, x) => {
      const v = a.data[(z * 14 + y) * 16 + x];
      return (x + 2 * y + 3 * z) % 11 === 0 ? (v + 1) % 3 : v;
    });
    const c = await compareVolumes(a, b);
    expect(c.phases).toBe(3);
    // skimage 0.19: structural_similarity(A, B, data_range=1, gaussian_weights=True, sigma=1.5,
    // use_sample_covariance=False), and win_size=7; peak_signal_noise_ratio(data_range=1); A = a / 2.
    expect(c.ssim).toBeCloseTo(0.8455326298487353, 12);
    expect(c.ssimUniform).toBeCloseTo(0.8592352620087608, 12);
    expect(c.psnr!).toBeCloseTo(13.333887100863603, 12);
    expect(c.mse).toBeCloseTo(0.04640997023809524, 15);
  });

  it('a volume with itself: SSIM 1, mse 0, psnr null (+Infinity)', async () => {
    expect(await compareVolumes(a, a)).toEqual({ ssim: 1, ssimUniform: 1, mse: 0, psnr: null, phases: 3 });
  });
});

describe('bad input and edge cases', () => {
  const v = volume(8, 8, 8, (z) => (z < 4 ? 1 : 0));
  it('typed errors', async () => {
    await expect(phaseStatistics({ shape: [0, 8, 8], data: new Uint8Array(0) }, 0)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(phaseStatistics({ shape: [8, 8, 8], data: new Uint8Array(100) }, 0)).rejects.toThrow(/needs 512/);
    await expect(phaseStatistics({ shape: [8, 8, 8], data: new Float32Array(512) } as never, 0)).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(phaseStatistics(v, 2)).rejects.toThrow(/phase 2 is not present.*0, 1/);
    await expect(phaseStatistics(v, 1.5)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(phaseStatistics(v, 1, { statistics: ['nope' as never] })).rejects.toThrow(/unknown statistic/);
    await expect(phaseStatistics(v, 1, { maxLag: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    const big = volume(12, 12, 12, () => 0);
    await expect(compareVolumes(big, volume(12, 12, 13, () => 0))).rejects.toThrow(/differs from reference/);
    await expect(compareVolumes(v, v)).rejects.toThrow(/>= 11/);
    await expect(compareVolumes(big, big, { phases: 1.5 })).rejects.toBeInstanceOf(InvalidArgumentError);
    const err = await phaseStatistics(v, 7).catch((e) => e);
    expect(err.code).toBe('ERR_INVALID_ARGUMENT');
  });

  it('one phase filling the volume and one-voxel-thick volumes give documented values', async () => {
    const full = volume(6, 7, 8, () => 3);
    const s = await phaseStatistics(full, 3);
    expect(s.volumeFraction).toBe(1);
    expect(s.twoPointCorrelation!.x!.every((c) => c === 1)).toBe(true);
    expect(s.surfaceArea!.faces).toBe(0);
    expect(s.poreSizeDistribution).toBeNull();
    expect(s.chordLength!.x!.mean).toBeNull();
    expect(s.connectivity).toEqual({
      components: 1,
      largestComponentFraction: 1,
      percolates: { x: true, y: true, z: true },
      eulerCharacteristic: 1,
    });
    expect(s.anisotropy!.degree).toBeNull();
    expect(s.anisotropy!.isotropic).toBeNull();
    const line = await phaseStatistics(volume(1, 1, 30, (_z, _y, x) => (x % 3 === 0 ? 1 : 0)), 1);
    expect(line.twoPointCorrelation).toEqual({ x: line.twoPointCorrelation!.x, y: null, z: null });
    expect(line.chordLength!.x!.total).toBe(9);
    expect(JSON.parse(JSON.stringify(line))).toEqual(line); // JSON-able: no NaN, no Infinity
  });

  it('labelCounts', async () => {
    const counts = await labelCounts(v);
    expect(counts.length).toBe(256);
    expect(counts[0]).toBe(256);
    expect(counts[1]).toBe(256);
  });
});

describe('progress, cancellation, threads', () => {
  it('aborts and reports progress', async () => {
    const v = blobs(64, 64, 2, 9);
    const before = new AbortController();
    before.abort();
    await expect(phaseStatistics(v, 1, { signal: before.signal })).rejects.toBeInstanceOf(AbortError);
    const r = rng(1);
    const big = volume(200, 200, 200, () => (r() < 0.5 ? 1 : 0));
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 20);
    const err = await phaseStatistics(big, 1, { signal: ctl.signal }).catch((e) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(err.code).toBe('ERR_ABORTED');
    const seen: number[] = [];
    await phaseStatistics(v, 1, { onProgress: (f) => seen.push(f) });
    expect(seen.at(-1)).toBe(1);
    expect(seen.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= seen[i - 1]))).toBe(true);
  });

  it('results do not depend on the number of threads', async () => {
    const native = await loadNativeBinding();
    const r = rng(4);
    const v = volume(30, 40, 50, () => Math.floor(r() * 3));
    const w = volume(30, 40, 50, (z, y, x) => (x + y + z) % 3);
    const before = native.info().threads;
    try {
      native.setNumThreads(1);
      const one = await phaseStatistics(v, 2);
      const cmpOne = await compareVolumes(v, w);
      native.setNumThreads(7);
      expect(await phaseStatistics(v, 2)).toEqual(one);
      expect(await compareVolumes(v, w)).toEqual(cmpOne);
    } finally {
      native.setNumThreads(before);
    }
  });
});
