/** MCAM, CBAM and MSHFA: output shapes, and gradients w.r.t. inputs and parameters by finite differences. */
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/index.js';
import { CBAM, F, Graph, MCAM, MSHFA, type Module, type Var } from '../../src/model/index.js';
import { Random } from '../../src/model/random.js';
import { gradcheck, paramGradcheck, randomLeaf } from './helpers.js';

const TOL = 2e-2;

async function dot(y: Var, seed = 9): Promise<Var> {
  const r = new Random(seed);
  return F.sum(await F.mul(y, y.graph!.input(tensor(r.normalArray(y.size), [...y.shape]), { own: true })));
}

async function shapeOf(m: { forward(x: Var): Promise<Var> }, shape: number[]): Promise<readonly number[]> {
  const g = new Graph({ grad: false });
  try {
    return (await m.forward(g.input(tensor(new Random(1).normalArray(shape.reduce((a, b) => a * b, 1)), shape), { own: true }))).shape;
  } finally {
    g.dispose();
  }
}

/** input and parameter gradients of <m(x), r> */
async function checkModule(m: Module & { forward(x: Var): Promise<Var> }, xShape: number[], seed = 21): Promise<void> {
  const rng = new Random(seed);
  const x = randomLeaf(rng, xShape);
  const rx = await gradcheck(async (_g, [xv]) => dot(await m.forward(xv)), [x], { epsRel: 1e-4 });
  expect(rx.worst, rx.report.join('\n')).toBeLessThan(TOL);
  const rp = await paramGradcheck(async (g) => dot(await m.forward(g.input(tensor(x.data, x.shape), { own: true }))), m.parameters(), { eps: 1e-4 });
  expect(rp.rel, `parameters: analytic ${rp.an}, fd ${rp.fd}`).toBeLessThan(TOL);
}

describe('MCAM (multi-scale channel aggregation)', () => {
  const opts = { dilations: [1, 2, 3], reduction: 2, slope: 0.2 };
  it('keeps the spatial size and maps cin -> cout channels (2D and 3D)', async () => {
    const m2 = new MCAM(2, 3, 8, new Random(1), opts);
    expect(await shapeOf(m2, [2, 3, 12, 10])).toEqual([2, 8, 12, 10]);
    expect(m2.namedParameters().map(([n]) => n)).toEqual([
      'branch0.weight', 'branch0.bias', 'branch1.weight', 'branch1.bias', 'branch2.weight', 'branch2.bias',
      'se.fc1.weight', 'se.fc1.bias', 'se.fc2.weight', 'se.fc2.bias', 'fuse.weight', 'fuse.bias', 'norm.weight', 'norm.bias',
    ]);
    const m3 = new MCAM(3, 2, 4, new Random(1), opts);
    expect(await shapeOf(m3, [1, 2, 6, 6, 6])).toEqual([1, 4, 6, 6, 6]);
    m2.dispose();
    m3.dispose();
  });
  it('gradients', async () => {
    const m = new MCAM(2, 3, 4, new Random(2), opts);
    // (input seed 21 puts an activation 1.4e-5 from a leaky-relu kink, where finite differences are invalid;
    // the analytic gradient there matches PyTorch to 6e-7)
    await checkModule(m, [2, 3, 7, 7], 22);
    m.dispose();
  });
});

describe('CBAM (channel then spatial attention)', () => {
  it('keeps the shape (2D, 3D, spatial attention at reduced resolution)', async () => {
    const c2 = new CBAM(2, 6, new Random(1), { reduction: 2, kernel: 7 });
    expect(await shapeOf(c2, [2, 6, 9, 8])).toEqual([2, 6, 9, 8]);
    const c3 = new CBAM(3, 4, new Random(1), { reduction: 2, kernel: 3, spatialScale: 2 });
    expect(await shapeOf(c3, [1, 4, 8, 8, 8])).toEqual([1, 4, 8, 8, 8]);
    c2.dispose();
    c3.dispose();
  });
  it('gradients (3D, full resolution)', async () => {
    const m = new CBAM(3, 4, new Random(3), { reduction: 2, kernel: 3 });
    await checkModule(m, [2, 4, 4, 5, 4]);
    m.dispose();
  });
  it('gradients (2D, spatial map at half resolution)', async () => {
    const m = new CBAM(2, 3, new Random(4), { reduction: 2, kernel: 5, spatialScale: 2 });
    await checkModule(m, [2, 3, 8, 8]);
    m.dispose();
  });
});

describe('MSHFA (multi-scale hierarchical feature aggregation head)', () => {
  const scales = [[1, 6, 2, 2, 2], [1, 4, 4, 4, 4], [1, 2, 8, 8, 8]];
  it('brings every scale to full resolution and gives P logits', async () => {
    const h = new MSHFA([6, 4, 2], new Random(1), { headChannels: 3, phases: 3, slope: 0.2 });
    const g = new Graph({ grad: false });
    const feats = scales.map((s, k) => g.input(tensor(new Random(k).normalArray(s.reduce((a, b) => a * b, 1)), s), { own: true }));
    expect((await h.forward(feats)).shape).toEqual([1, 3, 8, 8, 8]);
    g.dispose();
    h.dispose();
  });
  it('equals upsample -> concat -> 1x1x1 conv (the paper\'s order) and its gradients', async () => {
    const h = new MSHFA([6, 4, 2], new Random(5), { headChannels: 2, phases: 2, slope: 0.2 });
    const rng = new Random(6);
    const leaves = scales.map((s) => randomLeaf(rng, s));
    // the direct order, written out
    const direct = async (feats: Var[]) => {
      const parts: Var[] = [];
      for (let k = 0; k < feats.length; k++) {
        const p = await F.leakyRelu(await h.proj[k].forward(feats[k]), 0.2);
        parts.push(k < feats.length - 1 ? await F.upsample(p, { size: [8, 8, 8], mode: 'trilinear' }) : p);
      }
      return h.out.forward(await F.concat(parts, 1));
    };
    const g = new Graph({ grad: false });
    const feats = leaves.map((l) => g.input(tensor(l.data, l.shape), { own: true }));
    const a = await (await h.forward(feats)).read(), b = await (await direct(feats)).read();
    let err = 0;
    for (let k = 0; k < a.length; k++) err = Math.max(err, Math.abs(a[k] - b[k]));
    expect(err).toBeLessThan(1e-5);
    g.dispose();
    const rx = await gradcheck(async (_g, fs) => dot(await h.forward(fs)), leaves, { epsRel: 1e-4 });
    expect(rx.worst, rx.report.join('\n')).toBeLessThan(TOL);
    const rp = await paramGradcheck(async (gg) => dot(await h.forward(leaves.map((l) => gg.input(tensor(l.data, l.shape), { own: true })))), h.parameters(), { eps: 1e-4 });
    expect(rp.rel, `parameters: analytic ${rp.an}, fd ${rp.fd}`).toBeLessThan(TOL);
    h.dispose();
  });
});
