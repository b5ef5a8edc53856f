/**
 * Small host-side statistics for validation and seam checks: phase fractions and the two-point probability S2
 * of label volumes [z, y, x] along each axis (direct counting, lags 0..maxLag), voxel agreement.
 */
export type Shape3 = [number, number, number];

/** Fraction of voxels in each phase 0..P-1. */
export function phaseFractions(data: Uint8Array, phases: number): number[] {
  const c = new Float64Array(phases);
  for (let i = 0; i < data.length; i++) if (data[i] < phases) c[data[i]]++;
  return Array.from(c, (v) => v / Math.max(1, data.length));
}

/**
 * S2 of phase p along `axis` (0 = z, 1 = y, 2 = x): P(v(i) = p and v(i + r e_axis) = p) for r = 0..maxLag
 * (r limited to the extent - 1). Region: optional sub-box [lo, hi) per axis of the voxels i (both ends inside).
 */
export function twoPoint(data: Uint8Array, shape: Shape3, phase: number, axis: 0 | 1 | 2, maxLag: number): number[] {
  const [nz, ny, nx] = shape;
  const ext = shape[axis];
  const L = Math.min(maxLag, ext - 1);
  const stride = axis === 0 ? ny * nx : axis === 1 ? nx : 1;
  const out: number[] = [];
  for (let r = 0; r <= L; r++) {
    let hit = 0, n = 0;
    for (let z = 0; z < nz; z++) {
      if (axis === 0 && z + r >= nz) break;
      for (let y = 0; y < ny; y++) {
        if (axis === 1 && y + r >= ny) break;
        const row = (z * ny + y) * nx;
        const xEnd = axis === 2 ? nx - r : nx;
        for (let x = 0; x < xEnd; x++) {
          const i = row + x;
          if (data[i] === phase && data[i + r * stride] === phase) hit++;
        }
        n += xEnd;
      }
    }
    out.push(n ? hit / n : 0);
  }
  return out;
}

/** S2 curves [phase][axis][lag] of a label volume (axes with extent 1 give [S2(0)]). */
export function twoPointAll(data: Uint8Array, shape: Shape3, phases: number, maxLag: number): number[][][] {
  const out: number[][][] = [];
  for (let p = 0; p < phases; p++) out.push(([0, 1, 2] as const).map((a) => twoPoint(data, shape, p, a, maxLag)));
  return out;
}

/** Fraction of equal voxels. */
export function agreement(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) s++;
  return s / Math.max(1, a.length);
}

/** Root-mean-square difference of two equally shaped nested arrays of numbers (lags beyond the shorter skipped). */
export function rmsDiff(a: number[][][], b: number[][][]): number {
  let s = 0, n = 0;
  for (let p = 0; p < Math.min(a.length, b.length); p++)
    for (let k = 0; k < Math.min(a[p].length, b[p].length); k++)
      for (let r = 0; r < Math.min(a[p][k].length, b[p][k].length); r++) {
        s += (a[p][k][r] - b[p][k][r]) ** 2;
        n++;
      }
  return n ? Math.sqrt(s / n) : 0;
}

/** Element-wise mean of several nested S2 arrays of the same layout. */
export function meanCurves(all: number[][][][]): number[][][] {
  const first = all[0];
  return first.map((ph, p) => ph.map((ax, a) => ax.map((_, r) => all.reduce((s, c) => s + (c[p]?.[a]?.[r] ?? 0), 0) / all.length)));
}

/** Sub-volume [z0..z0+d, y0..y0+h, x0..x0+w) of a label volume. */
export function cropLabels(data: Uint8Array, shape: Shape3, at: Shape3, size: Shape3): Uint8Array {
  const [, ny, nx] = shape;
  const [d, h, w] = size;
  const out = new Uint8Array(d * h * w);
  for (let z = 0; z < d; z++)
    for (let y = 0; y < h; y++) {
      const src = ((at[0] + z) * ny + at[1] + y) * nx + at[2];
      out.set(data.subarray(src, src + w), (z * h + y) * w);
    }
  return out;
}
