/**
 * The autograd: finite-difference checks of every differentiable function (first order), of gradients of
 * gradients (createGraph, as the WGAN-GP penalty uses them), memory ownership, and the numerical guards.
 */
import { describe, expect, it } from 'vitest';
import { full, tensor } from '../../src/index.js';
import {
  F, Graph, NonFiniteError, Parameter, assertFinite, attach, backward, clipGradNorm, grad, gradNorm, isFinite, type Var,
} from '../../src/model/index.js';
import { Random } from '../../src/model/random.js';
import { gradcheck, randomLeaf, type Leaf, type ScalarFn } from './helpers.js';

const TOL = 2e-2;
const rng = new Random(11);
const L = (shape: number[], scale = 1, away = 0) => randomLeaf(rng, shape, scale, away);
/** <y, r> for a fixed random r of y's shape: a scalar whose gradient is a generic vector-Jacobian product */
async function dot(y: Var, seed = 5): Promise<Var> {
  const r = new Random(seed);
  const t = tensor(r.normalArray(y.size), [...y.shape]);
  return F.sum(await F.mul(y, y.graph!.input(t, { own: true })));
}

const firstOrder: Record<string, [ScalarFn, Leaf[]]> = {
  'add/sub/mul/div with broadcasting': [async (_g, [a, b, c]) => dot(await F.div(await F.sub(await F.mul(await F.add(a, b), a), b), c)),
    [L([2, 3, 4]), L([3, 1]), L([4], 1, 1)]],
  'affine, neg, exp, log, abs, square, sqrt': [async (_g, [x, p]) =>
    dot(await F.add(await F.add(await F.exp(await F.affine(x, 0.5, 0.1)), await F.log(p)), await F.mul(await F.abs(x), await F.sqrt(p)))),
    [L([2, 5], 1, 0.2), { shape: [2, 5], data: Float32Array.from({ length: 10 }, (_, k) => 0.5 + 0.1 * k) }]],
  'relu, leakyRelu, sigmoid, tanh': [async (_g, [x]) =>
    dot(await F.add(await F.add(await F.relu(x), await F.leakyRelu(x, 0.2)), await F.mul(await F.sigmoid(x), await F.tanh(x)))), [L([3, 4], 1, 0.1)]],
  softmax: [async (_g, [x]) => dot(await F.softmax(x, 1)), [L([2, 3, 4])]],
  'sum, mean (axes, keepDims)': [async (_g, [x]) =>
    dot(await F.add(await F.sum(x, { axis: [0, 2], keepDims: true }), await F.mean(x, { axis: 1, keepDims: true }))), [L([2, 3, 4])]],
  'globalAvgPool, globalMaxPool, channelMean, channelMax': [async (_g, [x]) =>
    dot(await F.add(await F.mul(await F.globalAvgPool(x), await F.globalMaxPool(x)), await F.mul(await F.channelMean(x), await F.channelMax(x)))), [L([2, 3, 4, 4])]],
  'conv2d (stride, padding, dilation, bias)': [async (_g, [x, w, b]) => dot(await F.conv2d(x, w, { bias: b, stride: 2, padding: 2, dilation: 2 })),
    [L([2, 3, 7, 6]), L([4, 3, 3, 3], 0.3), L([4])]],
  'conv3d (stride, padding, bias)': [async (_g, [x, w, b]) => dot(await F.conv3d(x, w, { bias: b, stride: 2, padding: 1 })),
    [L([2, 2, 5, 5, 5]), L([3, 2, 3, 3, 3], 0.3), L([3])]],
  'convTranspose3d (stride, bias)': [async (_g, [x, w, b]) => dot(await F.convTranspose3d(x, w, { bias: b, stride: 2 })),
    [L([2, 3, 3, 3, 3]), L([3, 2, 2, 2, 2], 0.3), L([2])]],
  'upsample (trilinear down and up, nearest)': [async (_g, [x]) =>
    dot(await F.add(await F.upsample(await F.upsample(x, { size: [2, 3, 3], mode: 'trilinear' }), { size: [4, 6, 6], mode: 'trilinear' }),
      await F.upsample(await F.upsample(x, { size: 2, mode: 'nearest' }), { size: [4, 6, 6], mode: 'nearest' }))), [L([1, 2, 4, 6, 6])]],
  'instanceNorm (affine)': [async (_g, [x, w, b]) => dot(await F.instanceNorm(x, { weight: w, bias: b })), [L([2, 3, 4, 4]), L([3]), L([3])]],
  'batchNorm (training statistics)': [async (_g, [x, w, b]) => dot(await F.batchNorm(x, { weight: w, bias: b })), [L([3, 2, 4]), L([2]), L([2])]],
  'linear, matmul, transpose': [async (_g, [x, w, b, m]) => dot(await F.matmul(await F.linear(x, w, b), await F.transpose(m))),
    [L([4, 5]), L([3, 5]), L([3]), L([2, 3])]],
  'concat, slice, permute, reshape, pad, expand': [async (_g, [x, y]) => {
    const a = await F.slice(await F.permute(x, [0, 2, 1]), [0, 1, 0], [-1, -1, 2]);
    const b = await F.pad(await F.reshape(y, [2, 2, 1]), [[0, 0], [0, 0], [1, 0]], 0.5);
    const c = await F.expand(await F.reshape(y, [2, 2, 1]), [2, 2, 2]);
    return dot(await F.concat([a, b, c], 1));
  }, [L([2, 3, 3]), L([2, 2])]],
};

describe('first-order gradients (finite differences)', () => {
  for (const [name, [f, leaves]] of Object.entries(firstOrder))
    it(name, async () => {
      const r = await gradcheck(f, leaves);
      expect(r.worst, r.report.join('\n')).toBeLessThan(TOL);
    });
});

/** the WGAN-GP penalty of a small critic, as a function of the critic's weights */
const penalty = (act: (v: Var) => Promise<Var>, nd: 2 | 3): ScalarFn => async (_g, [x, w1, b1, w2, b2, w3]) => {
  const conv = nd === 3 ? F.conv3d : F.conv2d;
  const h = await act(await conv(x, w1, { bias: b1, stride: 2, padding: 1 }));
  const h2 = await act(await conv(h, w2, { bias: b2, stride: 2, padding: 1 }));
  const d = await F.linear(await F.reshape(h2, [x.shape[0], -1]), w3);
  const [gx] = await grad([await F.sum(d)], [x], { createGraph: true });
  const n = await F.sqrt(await F.addScalar(await F.sum(await F.square(await F.reshape(gx!, [x.shape[0], -1])), { axis: 1 }), 1e-12));
  return F.mean(await F.square(await F.addScalar(n, -1)));
};

describe('second-order gradients (createGraph)', () => {
  it('gradient penalty of a 3D leaky-relu critic w.r.t. its weights', async () => {
    const leaves = [L([2, 2, 8, 8, 8]), L([3, 2, 4, 4, 4], 0.3), L([3], 0.1), L([4, 3, 4, 4, 4], 0.3), L([4], 0.1), L([1, 32], 0.3)];
    // the penalty is piecewise smooth in the weights (leaky relu kinks): a small step keeps the difference valid
    const r = await gradcheck(penalty((v) => F.leakyRelu(v, 0.2), 3), leaves, { epsRel: 1e-4, only: [1, 3, 5] });
    expect(r.worst, r.report.join('\n')).toBeLessThan(TOL);
  });

  it('gradient penalty of a smooth 2D critic w.r.t. every input, weights and data', async () => {
    const leaves = [L([2, 2, 8, 8]), L([3, 2, 4, 4], 0.3), L([3], 0.1), L([4, 3, 4, 4], 0.3), L([4], 0.1), L([1, 16], 0.3)];
    const r = await gradcheck(penalty(F.tanh, 2), leaves);
    expect(r.worst, r.report.join('\n')).toBeLessThan(TOL);
  });

  it('third order: conv data/weight gradient functions are themselves differentiable', async () => {
    const f: ScalarFn = async (_g, [x, w]) => {
      const y = await F.sigmoid(await F.conv3d(x, w, { padding: 1 }));
      const [gx, gw] = await grad([await F.sum(await F.square(y))], [x, w], { createGraph: true });
      const s = await F.add(await F.sum(await F.square(gx!)), await F.sum(await F.square(gw!)));
      const [gw2] = await grad([s], [w], { createGraph: true });
      return F.sum(await F.mul(gw2!, gw2!));
    };
    const r = await gradcheck(f, [L([1, 2, 3, 3, 3]), L([2, 2, 3, 3, 3], 0.3)]);
    expect(r.worst, r.report.join('\n')).toBeLessThan(TOL);
  });

  it('second order through instance norm, softmax, linear, pooling and upsampling', async () => {
    const f: ScalarFn = async (_g, [x, w, b, lw]) => {
      const y = await F.instanceNorm(x, { weight: w, bias: b });
      const s = await F.softmax(await F.upsample(y, { scaleFactor: 2, mode: 'bilinear' }), 1);
      const p = await F.linear(await F.reshape(await F.globalMaxPool(s), [2, 3]), lw);
      const [gx] = await grad([await F.sum(await F.mul(p, p))], [x], { createGraph: true });
      return F.sum(await F.square(gx!));
    };
    const r = await gradcheck(f, [L([2, 3, 4, 4]), L([3]), L([3]), L([2, 3])]);
    expect(r.worst, r.report.join('\n')).toBeLessThan(TOL);
  });
});

describe('memory and ownership', () => {
  it('a graph frees every tensor it made; parameters survive; the backward pass frees its intermediates', async () => {
    const w = new Parameter('w', tensor(rng.normalArray(8 * 2 * 27), [8, 2, 3, 3, 3]));
    const g = new Graph();
    const x = g.input(tensor(rng.normalArray(2 * 4 * 4 * 4), [1, 2, 4, 4, 4]), { own: true });
    const y = await F.leakyRelu(await F.conv3d(x, w, { padding: 1 }), 0.2);
    // a parameter used alone goes through attach(); the slice's gradient reaches w through it
    const w2 = await F.permute(await F.slice(attach(w, g), [0, 0, 0, 0, 0], [8, 2, 3, 3, 3]), [1, 0, 2, 3, 4]);
    const loss = await F.mean(await F.square(await F.conv3d(y, w2, { padding: 1 })));
    const before = g.tensorCount;
    await backward(loss, [w]);
    // gradient bookkeeping beyond the forward pass stays small: intermediates are freed as they are used
    expect(g.tensorCount - before).toBeLessThanOrEqual(4);
    expect(w.grad?.shape).toEqual([8, 2, 3, 3, 3]);
    const yv = y.value;
    g.dispose();
    expect(yv.disposed).toBe(true);
    expect(w.value.disposed).toBe(false);
    expect(w.grad!.disposed).toBe(false);
    w.dispose();
  });

  it('gradients accumulate in Parameter.grad; zeroGrad clears them', async () => {
    const p = new Parameter('p', tensor(new Float32Array([1, 2, 3]), [3]));
    for (let k = 0; k < 2; k++) {
      const g = new Graph();
      await backward(await F.sum(await F.square(attach(p, g))), [p]);
      g.dispose();
    }
    expect([...(await p.grad!.read())]).toEqual([4, 8, 12]);
    p.zeroGrad();
    expect(p.grad).toBeNull();
    p.dispose();
  });

  it('an inference graph records nothing and refuses grad()', async () => {
    const p = new Parameter('p', full([3], 2));
    const g = new Graph({ grad: false });
    const y = await F.mul(g.input(full([3], 1), { own: true }), p);
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeUndefined();
    await expect(grad([y], [p])).rejects.toThrow(/grad/);
    g.dispose();
    p.dispose();
  });

  it('typed errors: Vars of two graphs, no graph, unused inputs', async () => {
    const g1 = new Graph(), g2 = new Graph();
    const a = g1.input(full([2], 1), { own: true, requiresGrad: true });
    const b = g2.input(full([2], 1), { own: true, requiresGrad: true });
    await expect(F.add(a, b)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    const p = new Parameter('p', full([2], 1));
    await expect(F.square(p)).rejects.toThrow(/Graph/);
    const y = await F.sum(await F.square(a));
    await expect(grad([y], [b])).rejects.toThrow(/not used/);
    expect(await grad([y], [b], { allowUnused: true })).toEqual([null]);
    g1.dispose();
    g2.dispose();
    p.dispose();
  });
});

describe('numerical guards', () => {
  it('finite checks, gradient norm and clipping', async () => {
    const g = new Graph();
    const x = g.input(tensor(new Float32Array([-1, 0.5]), [2]), { own: true });
    const bad = await F.log(x);
    expect(await isFinite(bad)).toBe(false);
    await expect(assertFinite('loss', bad)).rejects.toBeInstanceOf(NonFiniteError);
    g.dispose();
    const p = new Parameter('p', full([4], 0));
    p.grad = tensor(new Float32Array([3, 4, 0, 0]), [4]);
    expect(await gradNorm([p])).toBeCloseTo(5, 5);
    expect(await clipGradNorm([p], 1)).toBeCloseTo(5, 5);
    expect(await gradNorm([p])).toBeCloseTo(1, 4);
    p.dispose();
  });
});
