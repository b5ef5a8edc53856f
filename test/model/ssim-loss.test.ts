/** The SSIM training term: equals the protocol's native SSIM on hard labels, and its gradient matches finite differences. */
import { describe, expect, it } from 'vitest';
import { compareVolumes, tensor } from '../../src/index.js';
import { F, Graph } from '../../src/model/autograd/index.js';
import { ssimLoss } from '../../src/model/losses.js';
import { Random } from '../../src/model/random.js';
import { gradcheck, randomLeaf } from './helpers.js';

function oneHot(labels: Uint8Array, P: number): Float32Array {
  const n = labels.length, out = new Float32Array(P * n);
  labels.forEach((l, i) => (out[l * n + i] = 1));
  return out;
}

describe('ssimLoss (7³ uniform window on the expected label map)', () => {
  it('on one-hot inputs equals 1 − compareVolumes(...).ssimUniform (the quality protocol)', async () => {
    const rng = new Random(5);
    const S = 16, P = 3, n = S * S * S;
    // smooth random labels so that SSIM is far from 0 and 1
    const field = (o: number) => Uint8Array.from({ length: n }, (_, i) => {
      const z = Math.floor(i / (S * S)), y = Math.floor(i / S) % S, x = i % S;
      return Math.min(P - 1, Math.floor(1.5 * (1 + Math.sin(x / 3 + o) * Math.cos(y / 4 - z / 5)) + (rng.uniform() < 0.1 ? 1 : 0)));
    });
    const a = field(0), b = field(0.7);
    const g = new Graph();
    try {
      const loss = await ssimLoss(g.input(tensor(oneHot(a, P), [1, P, S, S, S]), { own: true }), g.input(tensor(oneHot(b, P), [1, P, S, S, S]), { own: true }));
      const got = 1 - (await loss.item());
      const ref = await compareVolumes({ shape: [S, S, S], data: a }, { shape: [S, S, S], data: b }, { phases: P });
      expect(ref.ssimUniform).toBeGreaterThan(0.1);
      expect(ref.ssimUniform).toBeLessThan(0.9);
      expect(Math.abs(got - ref.ssimUniform)).toBeLessThan(1e-4);
    } finally {
      g.dispose();
    }
  });

  it('gradient w.r.t. the logits under softmax matches finite differences', async () => {
    const rng = new Random(11);
    const shape = [2, 3, 6, 6, 6];
    const target = oneHot(Uint8Array.from({ length: 2 * 216 }, () => Math.floor(rng.uniform() * 3)), 3);
    // target one-hot per sample: rebuild with the sample-major layout [N, P, ...]
    const t = new Float32Array(2 * 3 * 216);
    for (let s = 0; s < 2; s++) for (let p = 0; p < 3; p++) for (let i = 0; i < 216; i++) t[(s * 3 + p) * 216 + i] = target[p * 432 + s * 216 + i];
    const { worst, report } = await gradcheck(async (g, [logits]) => {
      const probs = await F.softmax(logits, 1);
      return ssimLoss(probs, g.input(g.own(tensor(t, shape))), 3);
    }, [randomLeaf(rng, shape, 1.5)]);
    expect(worst, report.join('\n')).toBeLessThan(2e-2);
  });

  it('rejects mismatched shapes and windows that do not fit', async () => {
    const g = new Graph();
    try {
      const a = g.input(tensor(new Float32Array(2 * 4 * 4 * 4).fill(0.5), [1, 2, 4, 4, 4]), { own: true });
      const b = g.input(tensor(new Float32Array(2 * 4 * 4 * 5).fill(0.5), [1, 2, 4, 4, 5]), { own: true });
      await expect(ssimLoss(a, b)).rejects.toThrow(/differs/);
      await expect(ssimLoss(a, a, 7)).rejects.toThrow(/window 7/);
    } finally {
      g.dispose();
    }
  });
});
