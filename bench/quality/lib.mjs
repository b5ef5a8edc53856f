// Pure helpers of the quality bench (no SDK calls, so the vitest test can check them on synthetic data).
// Volumes are { shape: [z, y, x], data: Uint8Array } of phase indices, x fastest.

/** Seeded PRNG (mulberry32): the block positions must be reproducible across versions. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n) };
}

/**
 * The box of valid corners [lo, hi] (inclusive) of size^3 blocks inside the held-out region of a volume:
 * heldOut = { axis: 'z'|'y'|'x', from } as stored in a model's config.json (notes.data.heldOut).
 */
export function heldOutCorners(shape, heldOut, size) {
  const ax = { z: 0, y: 1, x: 2 }[heldOut.axis];
  if (ax === undefined) throw new Error(`heldOut.axis must be z, y or x, got ${heldOut.axis}`);
  const lo = [0, 0, 0], hi = shape.map((n) => n - size);
  lo[ax] = heldOut.from;
  if (hi.some((h, a) => h < lo[a])) throw new Error(`no ${size}^3 block fits the held-out region ${JSON.stringify(heldOut)} of ${shape.join('x')}`);
  return { lo, hi };
}

/** count random corners [z, y, x] in a corner box, from the PRNG r. */
export function randomCorners(box, count, r) {
  return Array.from({ length: count }, () => box.lo.map((l, a) => l + r.int(box.hi[a] - l + 1)));
}

/** The [d, h, w] sub-volume at corner `at` (data only). */
export function crop(vol, at, size) {
  const [, ny, nx] = vol.shape;
  const [d, h, w] = size;
  const out = new Uint8Array(d * h * w);
  for (let z = 0; z < d; z++)
    for (let y = 0; y < h; y++) {
      const src = ((at[0] + z) * ny + at[1] + y) * nx + at[2];
      out.set(vol.data.subarray(src, src + w), (z * h + y) * w);
    }
  return out;
}

/** Slice z of a cubic block of edge n. */
export const sliceZ = (data, n, z) => data.subarray(z * n * n, (z + 1) * n * n);

/** Fraction of equal voxels of two equally long arrays. */
export function agreement(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) s++;
  return s / a.length;
}

/**
 * Set statistics are vectors (a scalar is a vector of length 1, an S2 curve one entry per lag); the distance of two
 * sets is the RMS over the entries of the difference of their means (for a scalar: |difference|). Entries that are
 * null (e.g. tortuosity of a block that does not percolate) are left out of that block's mean.
 */
export function setMean(values) {
  const n = values[0].length;
  const out = new Array(n).fill(null);
  for (let i = 0; i < n; i++) {
    let s = 0, c = 0;
    for (const v of values) if (v[i] !== null && Number.isFinite(v[i])) { s += v[i]; c++; }
    out[i] = c ? s / c : null;
  }
  return out;
}

/** RMS of a - b over the entries defined in both; null when none is. */
export function rmsDistance(a, b) {
  let s = 0, c = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== null && b[i] !== null) { s += (a[i] - b[i]) ** 2; c++; }
  return c ? Math.sqrt(s / c) : null;
}

/** q-quantile (0..1) of numbers, linear interpolation between order statistics (numpy's default). */
export function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return null;
  const h = (s.length - 1) * q, i = Math.floor(h);
  return i + 1 < s.length ? s[i] + (h - i) * (s[i + 1] - s[i]) : s[i];
}

/**
 * Real-vs-real threshold of a set statistic: `draws` times, two disjoint random sets of `setSize` members of the
 * pool (per-member vectors), the distance of their means; returns the q-quantile of those distances and how many
 * draws were defined (a draw is undefined when one set has no defined entry, e.g. no block percolates).
 */
export function bootstrapThreshold(pool, setSize, { draws = 2000, q = 0.95, seed = 7 } = {}) {
  if (pool.length < 2 * setSize) throw new Error(`bootstrap needs at least ${2 * setSize} pool members, got ${pool.length}`);
  const r = rng(seed);
  const idx = pool.map((_, i) => i);
  const dist = [];
  for (let d = 0; d < draws; d++) {
    // partial Fisher-Yates: the first 2 * setSize entries are a random sample without replacement
    for (let i = 0; i < 2 * setSize; i++) {
      const j = i + r.int(idx.length - i);
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    const a = setMean(idx.slice(0, setSize).map((i) => pool[i]));
    const b = setMean(idx.slice(setSize, 2 * setSize).map((i) => pool[i]));
    const v = rmsDistance(a, b);
    if (v !== null) dist.push(v);
  }
  return { threshold: quantile(dist, q), defined: dist.length, draws };
}

/** Mean and a bootstrap (over members) two-sided 95 % interval of the mean of numbers. */
export function meanInterval(xs, { draws = 2000, seed = 11 } = {}) {
  const r = rng(seed);
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  const ms = [];
  for (let d = 0; d < draws; d++) {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += xs[r.int(xs.length)];
    ms.push(s / xs.length);
  }
  return { mean, lo: quantile(ms, 0.025), hi: quantile(ms, 0.975) };
}

/** Markdown table from a header row and rows of cells. */
export function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Number formatting for tables: null as '–'. */
export const fmt = (v, d = 4) => (v === null || v === undefined ? '–' : typeof v === 'number' ? v.toFixed(d) : String(v));
