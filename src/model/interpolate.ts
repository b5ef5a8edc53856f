/**
 * Classical estimates used as baselines and as the generator's starting point in sections mode:
 * - an exact 2D Euclidean distance transform (Felzenszwalb & Huttenlocher, separable, squared distances),
 * - per-phase signed distance maps of a label slice (negative inside, 0 half-way across a boundary),
 * - shape-based interpolation: the signed distances interpolated linearly in z between neighbouring sections,
 *   the phase of smallest distance wins (Raya & Udupa 1990; the quality protocol's baseline),
 * - nearest-section fill (the other baseline), and bounded logits from distances (the generator's baseline).
 * Volumes are [D, H, W] (z, y, x), x fastest; per-phase arrays are [P, D, H, W].
 */
import { InvalidArgumentError } from '../core/errors.js';
import { sectionPositions } from './config.js';

const INF = 1e20;

/** 1D squared distance transform of f (0 at features, INF elsewhere), into d. */
function edt1d(f: Float64Array, n: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = 0;
  v[0] = 0;
  z[0] = -INF;
  z[1] = INF;
  for (let q = 1; q < n; q++) {
    let s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
    while (s <= z[k]) {
      k--;
      s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = INF;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    d[q] = (q - v[k]) * (q - v[k]) + f[v[k]];
  }
}

/** Squared Euclidean distance of every pixel to the nearest pixel where `feature` is true (INF when none). */
export function squaredEdt2d(feature: (i: number) => boolean, H: number, W: number): Float64Array {
  const n = Math.max(H, W);
  const f = new Float64Array(n), d = new Float64Array(n), z = new Float64Array(n + 1);
  const v = new Int32Array(n);
  const out = new Float64Array(H * W);
  for (let i = 0; i < H * W; i++) out[i] = feature(i) ? 0 : INF;
  // columns (along y), then rows (along x)
  for (let x = 0; x < W; x++) {
    for (let y = 0; y < H; y++) f[y] = out[y * W + x];
    edt1d(f, H, d, v, z);
    for (let y = 0; y < H; y++) out[y * W + x] = d[y];
  }
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) f[x] = out[y * W + x];
    edt1d(f, W, d, v, z);
    for (let x = 0; x < W; x++) out[y * W + x] = d[x];
  }
  return out;
}

/**
 * Signed distance of each pixel to phase `phase`'s boundary: -(distance to the nearest other pixel - 0.5) inside,
 * (distance to the nearest phase pixel - 0.5) outside. A phase absent from the slice is H + W away everywhere; a
 * slice entirely of the phase is -(H + W) everywhere.
 */
export function signedDistance2d(labels: Uint8Array, H: number, W: number, phase: number): Float32Array {
  const big = H + W;
  const toIn = squaredEdt2d((i) => labels[i] === phase, H, W);
  const toOut = squaredEdt2d((i) => labels[i] !== phase, H, W);
  const out = new Float32Array(H * W);
  for (let i = 0; i < H * W; i++) {
    if (labels[i] === phase) out[i] = toOut[i] >= INF ? -big : -(Math.sqrt(toOut[i]) - 0.5);
    else out[i] = toIn[i] >= INF ? big : Math.sqrt(toIn[i]) - 0.5;
  }
  return out;
}

export interface SectionsGeometry {
  phases: number;
  /** output depth */
  depth: number;
  height: number;
  width: number;
  /** z of each section (default: sectionPositions(depth, k)) */
  positions?: number[];
}

function checkSections(fn: string, sections: Uint8Array[], o: SectionsGeometry): number[] {
  const k = sections.length;
  if (!k) throw new InvalidArgumentError(`${fn}: no sections`);
  const pos = o.positions ?? sectionPositions(o.depth, k);
  if (pos.length !== k) throw new InvalidArgumentError(`${fn}: ${k} sections but ${pos.length} positions`);
  pos.forEach((z, i) => {
    if (!Number.isInteger(z) || z < 0 || z >= o.depth || (i && z <= pos[i - 1]))
      throw new InvalidArgumentError(`${fn}: positions must be increasing integers in [0, ${o.depth}), got ${JSON.stringify(pos)}`);
  });
  const n = o.height * o.width;
  sections.forEach((s, i) => {
    if (!(s instanceof Uint8Array) || s.length !== n)
      throw new InvalidArgumentError(`${fn}: section ${i} must be a Uint8Array of ${o.height}x${o.width} = ${n} labels, got ${s?.length}`);
    for (let j = 0; j < n; j++) if (s[j] >= o.phases) throw new InvalidArgumentError(`${fn}: section ${i} holds label ${s[j]} >= phases (${o.phases})`);
  });
  return pos;
}

/** Per-phase signed distances [P, D, H, W], interpolated linearly in z between the sections (constant outside). */
export function interpolatedDistances(sections: Uint8Array[], o: SectionsGeometry): Float32Array {
  const pos = checkSections('interpolatedDistances', sections, o);
  const { phases: P, depth: D, height: H, width: W } = o;
  const n = H * W;
  const out = new Float32Array(P * D * n);
  for (let p = 0; p < P; p++) {
    const sd = sections.map((s) => signedDistance2d(s, H, W, p));
    for (let z = 0; z < D; z++) {
      let i = 0;
      while (i + 1 < pos.length && pos[i + 1] <= z) i++;
      const dst = out.subarray((p * D + z) * n, (p * D + z + 1) * n);
      if (i + 1 >= pos.length || z <= pos[0]) {
        dst.set(sd[z <= pos[0] ? 0 : i]);
        continue;
      }
      const t = (z - pos[i]) / (pos[i + 1] - pos[i]);
      const a = sd[i], b = sd[i + 1];
      for (let j = 0; j < n; j++) dst[j] = (1 - t) * a[j] + t * b[j];
    }
  }
  return out;
}

/** argmin over phases of [P, D, H, W] distances -> labels [D, H, W] (ties: the lower phase). */
export function labelsFromDistances(dist: Float32Array, phases: number): Uint8Array {
  const n = dist.length / phases;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = dist[i], arg = 0;
    for (let p = 1; p < phases; p++) {
      const d = dist[p * n + i];
      if (d < best) {
        best = d;
        arg = p;
      }
    }
    out[i] = arg;
  }
  return out;
}

/** Shape-based interpolation of k sections into a [D, H, W] label volume (the quality protocol's baseline). */
export function shapeBasedInterpolation(sections: Uint8Array[], o: SectionsGeometry): Uint8Array {
  return labelsFromDistances(interpolatedDistances(sections, o), o.phases);
}

/** Every slice takes the labels of the nearest section (ties: the earlier one). */
export function nearestSectionFill(sections: Uint8Array[], o: SectionsGeometry): Uint8Array {
  const pos = checkSections('nearestSectionFill', sections, o);
  const n = o.height * o.width;
  const out = new Uint8Array(o.depth * n);
  for (let z = 0; z < o.depth; z++) {
    let best = 0;
    for (let i = 1; i < pos.length; i++) if (Math.abs(pos[i] - z) < Math.abs(pos[best] - z)) best = i;
    out.set(sections[best], z * n);
  }
  return out;
}

/**
 * Bounded logits from distances: -bound * tanh(d / (temperature * bound)). Strictly decreasing in d, so the
 * argmax of the logits is the argmin of the distances (the interpolation's labels), slope 1/temperature at the
 * boundary, and |logit| <= bound so that a learned correction can still overturn it.
 */
export function baselineLogits(dist: Float32Array, temperature = 1, bound = 6): Float32Array {
  const out = new Float32Array(dist.length);
  const s = 1 / (temperature * bound);
  for (let i = 0; i < dist.length; i++) out[i] = -bound * Math.tanh(dist[i] * s);
  return out;
}

/** One-hot [P, n] (phase-major) of n labels. */
export function oneHot(labels: Uint8Array, phases: number): Float32Array {
  const n = labels.length;
  const out = new Float32Array(phases * n);
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l >= phases) throw new InvalidArgumentError(`oneHot: label ${l} at ${i} is >= phases (${phases})`);
    out[l * n + i] = 1;
  }
  return out;
}
