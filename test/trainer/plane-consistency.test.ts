/**
 * planeConsistency: three planes cut from one volume agree where they share an axis; the same planes with one image
 * transposed (its axes swapped, as a rotated micrograph would be) do not; bad input gets typed errors.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, type Volume } from '../../src/index.js';
import { directionalCorrelation, planeConsistency } from '../../src/trainer/index.js';
import { Random } from '../../src/model/random.js';

const N = 128;

/** Thresholded box-blurred noise: blobs of radius ~r (r[0] along z), phase 1 where above the median. */
function blobs(r: [number, number, number], seed: number): Uint8Array {
  const rng = new Random(seed);
  let f = Float32Array.from({ length: N ** 3 }, () => rng.uniform());
  const strides = [N * N, N, 1];
  for (let a = 0; a < 3; a++) {
    const g = new Float32Array(f.length);
    for (let i = 0; i < f.length; i++) {
      const c = Math.floor(i / strides[a]) % N;
      let s = 0;
      for (let d = -r[a]; d <= r[a]; d++) s += f[i + ((((c + d) % N) + N) % N - c) * strides[a]];
      g[i] = s;
    }
    f = g;
  }
  const sorted = Float32Array.from(f).sort();
  const med = sorted[f.length >> 1];
  return Uint8Array.from(f, (v) => (v > med ? 1 : 0));
}

/** The xy, xz, yz planes through the middle (PLANE_AXIS layout: xz rows z cols x, yz rows z cols y). */
function planes(v: Uint8Array): Record<'xy' | 'xz' | 'yz', Volume> {
  const m = N >> 1;
  const xy = v.slice(m * N * N, (m + 1) * N * N);
  const xz = new Uint8Array(N * N), yz = new Uint8Array(N * N);
  for (let z = 0; z < N; z++)
    for (let i = 0; i < N; i++) {
      xz[z * N + i] = v[(z * N + m) * N + i];
      yz[z * N + i] = v[(z * N + i) * N + m];
    }
  const img = (d: Uint8Array): Volume => ({ shape: [1, N, N], data: d });
  return { xy: img(xy), xz: img(xz), yz: img(yz) };
}

const transpose = (im: Volume): Volume => {
  const [, h, w] = im.shape;
  const out = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[x * h + y] = im.data[y * w + x];
  return { shape: [1, w, h], data: out };
};

describe('planeConsistency', () => {
  const aniso = planes(blobs([6, 2, 2], 3)); // elongated along z

  it('planes of one anisotropic volume are consistent on every axis', () => {
    const r = planeConsistency(aniso, { maxLag: 16 });
    expect(r.consistent).toBe(true);
    for (const a of r.axes) expect(a.rms).toBeLessThan(3 * a.noise + 0.02);
    // the z curve (xz rows) really is longer than the x curve (xz columns): the case is anisotropic
    expect(directionalCorrelation(aniso.xz, 1, 'rows', 8)[7]).toBeGreaterThan(directionalCorrelation(aniso.xz, 1, 'columns', 8)[7] + 0.2);
  });

  it('one image with its axes swapped makes the shared axes disagree', () => {
    const r = planeConsistency({ ...aniso, yz: transpose(aniso.yz) }, { maxLag: 16 });
    expect(r.consistent).toBe(false);
    // yz's columns now run along z: the y axis (xy rows vs yz columns) compares a short curve with a long one
    const y = r.axes.find((a) => a.axis === 'y')!;
    expect(y.ratio).toBeGreaterThan(4);
    expect(r.axes.find((a) => a.axis === 'x')!.rms).toBeLessThan(3 * r.axes.find((a) => a.axis === 'x')!.noise + 0.02); // untouched pair
  });

  it('directionalCorrelation matches a direct count', () => {
    const im: Volume = { shape: [1, 4, 5], data: Uint8Array.from([1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0]) };
    const phi = 10 / 20;
    // along columns, lag 1: pairs (y, x)-(y, x+1) both 1: row0 [1,1,0,0,1] -> 1; row1 [0,1,1,0,0] -> 1; row2 [1,0,0,1,1] -> 1; row3 [0,0,1,1,0] -> 1
    expect(directionalCorrelation(im, 1, 'columns', 1)[0]).toBeCloseTo((4 / 16 - phi * phi) / (phi - phi * phi), 12);
  });

  it('rejects images too small for the lags and stacks', () => {
    const small: Volume = { shape: [1, 20, 20], data: new Uint8Array(400) };
    expect(() => planeConsistency({ xy: small, xz: small, yz: small })).toThrow(InvalidArgumentError);
    expect(() => planeConsistency({ ...aniso, xy: { shape: [2, N, N], data: new Uint8Array(2 * N * N) } })).toThrow(/one 2D image/);
  });
});
