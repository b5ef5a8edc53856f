/** Building blocks of bench/quality.mjs on small synthetic data (the bench itself runs the real protocol). */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareVolumes } from '../../src/metrics/native-stats.js';
import { nearestSectionFill, sectionPositions } from '../../src/model/index.js';
import { PLANE_AXIS, sliceAcross, twoPoint, type PlaneName } from '../../src/trainer/index.js';
// @ts-expect-error plain ESM helpers of the bench, no type declarations
import { bootstrapThreshold, heldOutCorners, quantile, randomCorners, rng, setMean } from '../../bench/quality/lib.mjs';
// @ts-expect-error idem
import { compareSets } from '../../bench/quality/stats.mjs';
// @ts-expect-error idem
import { PLANE_IMAGE_AXES } from '../../bench/quality/steel.mjs';

type Vol = { shape: [number, number, number]; data: Uint8Array };
const randomVolume = (shape: [number, number, number], phases: number, seed: number): Vol => {
  const r = rng(seed);
  // blocky so that windows hold structure, plus noise so that they differ
  const data = Uint8Array.from({ length: shape[0] * shape[1] * shape[2] }, (_, i) => {
    const x = i % shape[2], y = Math.floor(i / shape[2]) % shape[1], z = Math.floor(i / (shape[1] * shape[2]));
    return r.next() < 0.3 ? r.int(phases) : (Math.floor(x / 3) + Math.floor(y / 4) + Math.floor(z / 2)) % phases;
  });
  return { shape, data };
};

/** SSIM with a w^3 uniform window as skimage computes it: sample covariance, only windows fully inside, mean. */
function plainUniformSsim(a: Vol, b: Vol, phases: number, w = 7): number {
  const [nz, ny, nx] = a.shape, h = (w - 1) / 2, s = 1 / (phases - 1);
  const flat = a.shape[0] === 1;
  const C1 = 0.01 ** 2, C2 = 0.03 ** 2, np = flat ? w * w : w ** 3, cov = np / (np - 1);
  let sum = 0, count = 0;
  for (let z = flat ? 0 : h; z < (flat ? 1 : nz - h); z++)
    for (let y = h; y < ny - h; y++)
      for (let x = h; x < nx - h; x++) {
        let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        for (let dz = flat ? 0 : -h; dz <= (flat ? 0 : h); dz++)
          for (let dy = -h; dy <= h; dy++)
            for (let dx = -h; dx <= h; dx++) {
              const i = ((z + dz) * ny + y + dy) * nx + x + dx;
              const u = a.data[i] * s, v = b.data[i] * s;
              sa += u; sb += v; saa += u * u; sbb += v * v; sab += u * v;
            }
        const ma = sa / np, mb = sb / np;
        const va = cov * (saa / np - ma * ma), vb = cov * (sbb / np - mb * mb), vab = cov * (sab / np - ma * mb);
        sum += ((2 * ma * mb + C1) * (2 * vab + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
        count++;
      }
  return sum / count;
}

describe('uniform-window SSIM (sections mode)', () => {
  const cases: [number, [number, number, number]][] = [[3, [12, 13, 14]], [2, [11, 16, 12]], [3, [1, 20, 18]]];
  it.each(cases)('%i phases, shape %j: native ssimUniform equals the plain reference', async (P, shape) => {
    const a = randomVolume(shape, P, 1), b = randomVolume(shape, P, 2);
    const c = await compareVolumes(a, b, { phases: P });
    expect(c.ssimUniform).toBeCloseTo(plainUniformSsim(a, b, P), 10);
    expect(c.ssimUniform).toBeLessThan(0.9); // the case is not degenerate
  });

  const py = '/usr/bin/python3';
  const skimage = existsSync(py) && spawnSync(py, ['-c', 'import skimage'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!skimage)('equals skimage structural_similarity(win_size=7, gaussian_weights=False, data_range=1)', async () => {
    const P = 3, shape: [number, number, number] = [12, 13, 14];
    const a = randomVolume(shape, P, 3), b = randomVolume(shape, P, 4);
    const script = `import sys, json, numpy as np
from skimage.metrics import structural_similarity as ssim
d = json.load(sys.stdin); s = tuple(d['shape'])
a = np.array(d['a'], dtype=np.float64).reshape(s) / ${P - 1}; b = np.array(d['b'], dtype=np.float64).reshape(s) / ${P - 1}
print(repr(ssim(a, b, win_size=7, gaussian_weights=False, data_range=1)))`;
    const r = spawnSync(py, ['-c', script], { input: JSON.stringify({ shape, a: [...a.data], b: [...b.data] }), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect((await compareVolumes(a, b, { phases: P })).ssimUniform).toBeCloseTo(Number(r.stdout), 10);
  });
  if (!skimage) console.warn('quality.test: /usr/bin/python3 without scikit-image, skimage comparison skipped (apt install python3-skimage)');
});

describe('nearest-section fill', () => {
  it('every slice holds the nearest section (ties: the earlier), sections at sectionPositions', () => {
    const [D, H, W, k] = [13, 3, 4, 4];
    const pos = sectionPositions(D, k);
    expect(pos).toEqual([0, 4, 8, 12]);
    const r = rng(5);
    const secs = pos.map(() => Uint8Array.from({ length: H * W }, () => r.int(3)));
    const v = nearestSectionFill(secs, { phases: 3, depth: D, height: H, width: W });
    const expected = [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3]; // z = 2, 6, 10 are ties
    for (let z = 0; z < D; z++) expect([...v.subarray(z * H * W, (z + 1) * H * W)]).toEqual([...secs[expected[z]]]);
  });
});

describe('bootstrap threshold', () => {
  const normal = (r: { next(): number }) => Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());

  it('matches 1.96 sqrt(2/n) for sets of n standard normals', () => {
    const r = rng(9);
    const pool = Array.from({ length: 4000 }, () => [normal(r)]);
    const { threshold, defined } = bootstrapThreshold(pool, 16, { draws: 4000 });
    expect(defined).toBe(4000);
    expect(threshold).toBeGreaterThan(0.9 * 1.96 * Math.sqrt(2 / 16));
    expect(threshold).toBeLessThan(1.1 * 1.96 * Math.sqrt(2 / 16));
  });

  it('compareSets: a shifted set lies outside, an unshifted one within; undefined entries are skipped', () => {
    const r = rng(10);
    const stat = (shift: number) => ({ 'fraction[0]': [0.3 + shift + 0.02 * normal(r)], 'tortuosity[0].x': [r.next() < 0.2 ? null : 2 + normal(r)] });
    const pool = Array.from({ length: 300 }, () => stat(0));
    const real = Array.from({ length: 16 }, () => stat(0));
    const same = compareSets(Array.from({ length: 16 }, () => stat(0)), real, pool, { draws: 500 });
    const shifted = compareSets(Array.from({ length: 16 }, () => stat(0.05)), real, pool, { draws: 500 });
    expect(same[0].pass).toBe(true);
    expect(shifted[0].pass).toBe(false);
    expect(shifted[0].difference).toBeCloseTo(0.05, 1);
    // most generated blocks do not percolate while the real ones do: a failure, not a skipped row
    const stuck = Array.from({ length: 16 }, () => ({ 'fraction[0]': [0.3], 'tortuosity[0].x': [null] }));
    const t = compareSets(stuck, real, pool, { draws: 200 }).find((x: { statistic: string }) => x.statistic === 'tortuosity[0].x');
    expect(t.pass).toBe(false);
    expect(setMean([[1, null], [3, 4]])).toEqual([2, 4]);
  });

  it('quantile interpolates as numpy', () => {
    expect(quantile([4, 1, 3, 2], 0.95)).toBeCloseTo(3.85, 12);
    expect(quantile([5], 0.5)).toBe(5);
  });
});

describe('held-out block positions', () => {
  it('stay inside the held-out region and repeat with the seed', () => {
    const box = heldOutCorners([128, 256, 256], { axis: 'y', from: 192 }, 64);
    expect(box).toEqual({ lo: [0, 192, 0], hi: [64, 192, 192] });
    const c = randomCorners(box, 50, rng(1));
    for (const at of c) at.forEach((v: number, i: number) => expect(v >= box.lo[i] && v <= box.hi[i]).toBe(true));
    expect(randomCorners(box, 50, rng(1))).toEqual(c);
    expect(() => heldOutCorners([128, 256, 256], { axis: 'y', from: 200 }, 64)).toThrow(/no 64\^3 block fits/);
  });
});

describe('steel planes', () => {
  it("each plane's image axes are the volume axes the trainer's slices run along", () => {
    const S = 10, v = randomVolume([S, S, S], 2, 6);
    const along = { z: 0, y: 1, x: 2 } as const;
    for (const plane of ['xy', 'xz', 'yz'] as PlaneName[]) {
      const slices = Array.from({ length: S }, (_, j) => sliceAcross(v.data, S, PLANE_AXIS[plane], j));
      for (const imgAxis of ['x', 'y'] as const) {
        // mean over the slices of the 2D S2 along the image axis = the volume's S2 along the mapped axis
        const img = slices.map((s) => twoPoint(s, [1, S, S], 0, imgAxis === 'x' ? 2 : 1, 4));
        const mean = img[0].map((_, r) => img.reduce((t, c) => t + c[r], 0) / S);
        const vol = twoPoint(v.data, [S, S, S], 0, along[PLANE_IMAGE_AXES[plane][imgAxis] as 'x' | 'y' | 'z'], 4);
        mean.forEach((m, r) => expect(m).toBeCloseTo(vol[r], 12));
      }
    }
  });
});
