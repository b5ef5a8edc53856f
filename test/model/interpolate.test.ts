/** The 2D EDT, signed distances, shape-based interpolation, nearest-section fill, section positions and the PRNG. */
import { describe, expect, it } from 'vitest';
import {
  Random, baselineLogits, interpolatedDistances, labelsFromDistances, nearestSectionFill, sectionPositions, shapeBasedInterpolation,
  signedDistance2d, squaredEdt2d,
} from '../../src/model/index.js';

describe('distance transforms', () => {
  it('squaredEdt2d equals brute force', () => {
    const rng = new Random(1);
    for (const [H, W, p] of [[13, 7, 0.1], [1, 9, 0.3], [8, 8, 0.02], [5, 6, 0.9]] as const) {
      const m = Array.from({ length: H * W }, () => rng.uniform() < p);
      const got = squaredEdt2d((i) => m[i], H, W);
      for (let i = 0; i < H * W; i++) {
        let best = Infinity;
        for (let j = 0; j < H * W; j++) if (m[j]) best = Math.min(best, (Math.floor(i / W) - Math.floor(j / W)) ** 2 + ((i % W) - (j % W)) ** 2);
        expect(got[i] >= 1e19 ? Infinity : got[i]).toBe(best);
      }
    }
  });

  it('signed distance: negative inside, positive outside, +-0.5 at the boundary pixels', () => {
    const W = 8, H = 1;
    const labels = Uint8Array.from([0, 0, 0, 1, 1, 1, 1, 0]);
    const d = signedDistance2d(labels, H, W, 1);
    expect([...d]).toEqual([2.5, 1.5, 0.5, -0.5, -1.5, -1.5, -0.5, 0.5]);
    expect([...signedDistance2d(new Uint8Array(4), 2, 2, 1)]).toEqual([4, 4, 4, 4]);
    expect([...signedDistance2d(new Uint8Array(4), 2, 2, 0)]).toEqual([-4, -4, -4, -4]);
  });
});

describe('shape-based interpolation', () => {
  it('section positions: round half up, first at 0, last at size - 1', () => {
    expect(sectionPositions(64, 7)).toEqual([0, 10, 21, 32, 42, 52, 63]); // half to even, as nmc_sections7.tif
    expect(sectionPositions(64, 3)).toEqual([0, 32, 63]);
    expect(sectionPositions(64, 9)).toEqual([0, 8, 16, 24, 32, 39, 47, 55, 63]);
    expect(sectionPositions(64, 1)).toEqual([0]);
  });

  it('reproduces the sections at their planes; a disc shrinking to a point in between', () => {
    const S = 9, n = S * S;
    const disc = (r: number) => Uint8Array.from({ length: n }, (_, i) => ((Math.floor(i / S) - 4) ** 2 + ((i % S) - 4) ** 2 <= r * r ? 1 : 0));
    const a = disc(4), b = disc(0);
    const geo = { phases: 2, depth: S, height: S, width: S };
    const vol = shapeBasedInterpolation([a, b], geo);
    expect(vol.slice(0, n)).toEqual(a);
    expect(vol.slice((S - 1) * n)).toEqual(b);
    const area = (z: number) => vol.slice(z * n, (z + 1) * n).reduce((s, v) => s + v, 0);
    for (let z = 1; z < S; z++) expect(area(z)).toBeLessThanOrEqual(area(z - 1));
    expect(area(4)).toBeGreaterThan(area(8));
    expect(area(4)).toBeLessThan(area(0));
    // the bounded logits keep the interpolation's labels
    const dist = interpolatedDistances([a, b], geo);
    const logits = baselineLogits(dist, 1, 6);
    expect(labelsFromDistances(Float32Array.from(logits, (v) => -v), 2)).toEqual(vol);
    expect(Math.max(...logits.map(Math.abs))).toBeLessThanOrEqual(6);
  });

  it('nearest-section fill', () => {
    const secs = [new Uint8Array(4).fill(0), new Uint8Array(4).fill(1), new Uint8Array(4).fill(2)];
    const v = nearestSectionFill(secs, { phases: 3, depth: 7, height: 2, width: 2 });
    // positions 0, 3, 6: z = 0,1 -> 0; 2,3,4 -> 1; 5,6 -> 2
    expect(Array.from({ length: 7 }, (_, z) => v[z * 4])).toEqual([0, 0, 1, 1, 1, 2, 2]);
  });

  it('rejects bad sections', () => {
    const geo = { phases: 2, depth: 4, height: 2, width: 2 };
    expect(() => shapeBasedInterpolation([new Uint8Array(3)], geo)).toThrow(/Uint8Array of 2x2/);
    expect(() => shapeBasedInterpolation([new Uint8Array(4).fill(5)], geo)).toThrow(/label 5/);
    expect(() => shapeBasedInterpolation([new Uint8Array(4), new Uint8Array(4)], { ...geo, positions: [2, 1] })).toThrow(/increasing/);
  });
});

describe('Random (xoshiro128** + Box-Muller)', () => {
  it('is deterministic, restorable, and has the right moments', () => {
    const a = new Random(42), b = new Random(42);
    expect(a.normalArray(10)).toEqual(b.normalArray(10));
    const st = a.state();
    const x = a.uniformArray(5);
    expect(Random.fromState(st).uniformArray(5)).toEqual(x);
    const r = new Random(7);
    const v = r.normalArray(200_000);
    const mean = v.reduce((s, t) => s + t, 0) / v.length;
    const variance = v.reduce((s, t) => s + (t - mean) ** 2, 0) / v.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.01);
    expect(new Random(1).nextU32()).not.toBe(new Random(2).nextU32());
    expect(new Random(2 ** 40).nextU32()).not.toBe(new Random(0).nextU32());
  });
});
