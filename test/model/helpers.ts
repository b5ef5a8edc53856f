/** Shared pieces of the model tests: finite-difference gradient checks over the autograd. */
import { tensor, type Tensor } from '../../src/index.js';
import { Graph, grad, type Parameter, type Var } from '../../src/model/autograd/index.js';
import { Random } from '../../src/model/random.js';

export interface Leaf {
  shape: number[];
  data: Float32Array;
}

export function randomLeaf(rng: Random, shape: number[], scale = 1, away = 0): Leaf {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const v = rng.normal() * scale;
    data[k] = away ? Math.sign(v) * (away + Math.abs(v)) : v;
  }
  return { shape, data };
}

/** f builds a scalar from Vars (one per leaf) in graph g. */
export type ScalarFn = (g: Graph, xs: Var[]) => Promise<Var>;

async function evalF(f: ScalarFn, leaves: Leaf[]): Promise<number> {
  // leaves require gradients so that f may itself differentiate (double backward)
  const g = new Graph();
  try {
    const xs = leaves.map((l) => g.input(tensor(l.data, l.shape), { own: true, requiresGrad: true }));
    const y = await f(g, xs);
    return (await y.read()).reduce((a, b) => a + b, 0);
  } finally {
    g.dispose();
  }
}

/**
 * Checks <grad f, v> against the central difference of f along a random direction v, for every leaf in turn.
 * Returns the worst relative error (|fd - an| / (|an| + 1e-2 |g||v|)).
 */
export async function gradcheck(f: ScalarFn, leaves: Leaf[], o: { seed?: number; epsRel?: number; only?: number[] } = {}): Promise<{ worst: number; report: string[] }> {
  const rng = new Random(o.seed ?? 7);
  const g = new Graph();
  const report: string[] = [];
  let worst = 0;
  try {
    const xs = leaves.map((l) => g.input(tensor(l.data, l.shape), { own: true, requiresGrad: true }));
    const y = await f(g, xs);
    const gs = await grad([y], xs, { allowUnused: true });
    for (let i = 0; i < leaves.length; i++) {
      if (o.only && !o.only.includes(i)) continue;
      const gi = gs[i] ? await gs[i]!.read() : new Float32Array(leaves[i].data.length);
      const v = Float64Array.from(leaves[i].data, () => rng.uniform() * 2 - 1);
      let an = 0, gn = 0, vn = 0;
      for (let k = 0; k < gi.length; k++) {
        an += gi[k] * v[k];
        gn += gi[k] * gi[k];
        vn += v[k] * v[k];
      }
      const scale = leaves[i].data.reduce((m, x) => Math.max(m, Math.abs(x)), 1);
      const eps = (o.epsRel ?? 1e-3) * scale;
      const shifted = (sign: number) => leaves.map((l, j) => (j === i ? { shape: l.shape, data: Float32Array.from(l.data, (x, k) => x + sign * eps * v[k]) } : l));
      const fd = ((await evalF(f, shifted(1))) - (await evalF(f, shifted(-1)))) / (2 * eps);
      const rel = Math.abs(fd - an) / Math.max(Math.abs(an) + 1e-2 * Math.sqrt(gn * vn), 1e-12);
      report.push(`leaf ${i}: analytic ${an.toPrecision(6)} fd ${fd.toPrecision(6)} rel ${rel.toExponential(2)}`);
      worst = Math.max(worst, rel);
    }
  } finally {
    g.dispose();
  }
  return { worst, report };
}

export async function values(t: Tensor | Var): Promise<Float32Array> {
  return t.read();
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k] - b[k]));
  return m;
}

/**
 * Finite-difference check of a scalar f(graph) w.r.t. the parameters of `params`, along one random direction
 * over all of them jointly. Returns the relative error as gradcheck does.
 */
export async function paramGradcheck(f: (g: Graph) => Promise<Var>, params: Parameter[], o: { seed?: number; eps?: number } = {}): Promise<{ rel: number; an: number; fd: number }> {
  const rng = new Random(o.seed ?? 3);
  const g0 = new Graph();
  let an = 0, gn = 0, vn = 0;
  const dirs: Float64Array[] = [];
  const base: Float32Array[] = [];
  try {
    const y = await f(g0);
    const gs = await grad([y], params, { allowUnused: true });
    for (let i = 0; i < params.length; i++) {
      const gi = gs[i] ? await gs[i]!.read() : new Float32Array(params[i].size);
      const v = Float64Array.from(gi, () => rng.uniform() * 2 - 1);
      dirs.push(v);
      base.push(await params[i].read());
      for (let k = 0; k < gi.length; k++) {
        an += gi[k] * v[k];
        gn += gi[k] * gi[k];
        vn += v[k] * v[k];
      }
    }
  } finally {
    g0.dispose();
  }
  const eps = o.eps ?? 1e-3;
  const at = async (sign: number) => {
    params.forEach((p, i) => p.assign(tensor(Float32Array.from(base[i], (x, k) => x + sign * eps * dirs[i][k]), [...p.shape])));
    const g = new Graph({ grad: false });
    try {
      return (await (await f(g)).read()).reduce((a, b) => a + b, 0);
    } finally {
      g.dispose();
    }
  };
  const fd = ((await at(1)) - (await at(-1))) / (2 * eps);
  params.forEach((p, i) => p.assign(tensor(base[i], [...p.shape])));
  const rel = Math.abs(fd - an) / Math.max(Math.abs(an) + 1e-2 * Math.sqrt(gn * vn), 1e-12);
  return { rel, an, fd };
}
