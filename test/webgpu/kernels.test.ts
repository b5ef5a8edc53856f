/**
 * WebGPU kernels against the cpu backend on random inputs, at sizes beyond the golden cases: the register-tiled
 * conv paths (channels divisible by 4) and their remainders, reductions over rows longer than a workgroup,
 * dispatches wider than one grid dimension (> 65535 workgroups), broadcast scatters. Tolerances are those of
 * test/ops/tolerances.ts (webgpu column), on the same normalised error.
 */
import { describe, expect, it } from 'vitest';
import { ops, tensor, type Tensor } from '../../src/index.js';
import { normalisedError, prng } from '../ops/helpers.js';
import { toleranceOf } from '../ops/tolerances.js';
import { WEBGPU, WEBGPU_REASON } from './helpers.js';

const rand = (shape: number[], seed: number, lo = -1, hi = 1): Tensor => {
  const r = prng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Float32Array.from({ length: n }, () => lo + (hi - lo) * r()), shape);
};

type Case = { op: string; name: string; run: (backend: 'cpu' | 'webgpu') => Promise<Tensor> };

const x5 = rand([2, 8, 9, 10, 11], 1);
const w8 = rand([8, 8, 3, 3, 3], 2);
const w6 = rand([6, 4, 3, 3, 3], 3);
const b8 = rand([8], 4);
const cases: Case[] = [
  { op: 'conv3d', name: 'tiled pad1 bias', run: (backend) => ops.conv3d(x5, w8, { padding: 1, bias: b8, backend }) },
  { op: 'conv3d', name: 'tiled stride2 dil2', run: (backend) => ops.conv3d(x5, w8, { stride: 2, dilation: 2, padding: 2, backend }) },
  { op: 'conv3d', name: 'groups2 Cout6 (plain path)', run: (backend) => ops.conv3d(x5, w6, { groups: 2, padding: [0, 1, 2], backend }) },
  { op: 'conv2d', name: 'dilated 7x7', run: (backend) => ops.conv2d(rand([1, 4, 40, 37], 5), rand([8, 4, 7, 7], 6), { padding: 9, dilation: 3, backend }) },
  { op: 'convTranspose3d', name: 'k2 s2', run: (backend) => ops.convTranspose3d(x5, rand([8, 4, 2, 2, 2], 7), { stride: 2, backend }) },
  { op: 'convTranspose3d', name: 'k3 s2 p1 op1, Cin 3', run: (backend) => ops.convTranspose3d(rand([1, 8, 5, 6, 7], 8), rand([8, 3, 3, 3, 3], 9), { stride: 2, padding: 1, outputPadding: 1, backend }) },
  { op: 'instanceNorm', name: 'S 40000', run: async (backend) => (await ops.instanceNormForward(rand([2, 3, 40, 1000], 10, 3, 5), { backend })).y },
  { op: 'globalAvgPool', name: 'rows of 70000', run: (backend) => ops.globalAvgPool(rand([2, 3, 70, 1000], 11), { backend }) },
  { op: 'globalMaxPool', name: 'rows of 70000', run: (backend) => ops.globalMaxPool(rand([2, 3, 70, 1000], 12), { backend }) },
  { op: 'add', name: '4.5M elements (2D grid)', run: (backend) => ops.add(rand([3, 1500, 1000], 13), rand([1500, 1], 14), { backend }) },
  { op: 'sigmoid', name: 'wide range', run: (backend) => ops.sigmoid(rand([100000], 15, -30, 30), { backend }) },
  { op: 'tanh', name: 'wide range', run: (backend) => ops.tanh(rand([100000], 16, -20, 20), { backend }) },
  { op: 'softmax', name: '5 channels, 3D', run: (backend) => ops.softmax(rand([2, 5, 16, 16, 16], 17, -5, 5), { backend }) },
  { op: 'linear', name: '300 -> 70', run: (backend) => ops.linear(rand([9, 300], 18), rand([70, 300], 19), { bias: rand([70], 20), backend }) },
  { op: 'upsample', name: 'trilinear x2', run: (backend) => ops.upsample(rand([1, 3, 9, 10, 11], 21), { scaleFactor: 2, mode: 'trilinear', backend }) },
  { op: 'concat', name: '5 parts', run: (backend) => ops.concat([1, 2, 3, 4, 5].map((c, k) => rand([2, c, 30, 30], 22 + k)), { axis: 1, backend }) },
  { op: 'permute', name: '5D', run: (backend) => ops.permute(rand([2, 3, 4, 5, 6], 30), [4, 2, 0, 3, 1], { backend }) },
  { op: 'sum', name: 'to a broadcast shape', run: (backend) => ops.sumTo(rand([4, 3, 50, 60], 31), [1, 3, 1, 60], { backend }) },
  { op: 'expand', name: 'backward: scatter-add over stride-0 axes', run: (backend) => ops.expandBackward(rand([4, 3, 50, 60], 32), rand([1, 3, 1, 60], 33), { backend }) },
  { op: 'slice', name: 'backward: scatter into a zeroed input', run: (backend) => ops.sliceBackward(rand([2, 5, 7], 34), rand([3, 9, 11], 35), [1, 2, 3], [2, 5, 7], { backend }) },
];

describe.skipIf(!WEBGPU)('webgpu kernels vs cpu on random inputs', () => {
  for (const c of cases) {
    it(`${c.op}: ${c.name}`, async () => {
      const want = await c.run('cpu');
      const got = await c.run('webgpu');
      expect(got.location).toBe('webgpu');
      expect(got.shape).toEqual(want.shape);
      const err = normalisedError(await got.read(), await want.read());
      expect(err).toBeLessThanOrEqual(toleranceOf('webgpu', c.op));
      got.dispose();
      want.dispose();
    });
  }
});

if (!WEBGPU)
  describe('webgpu unavailable', () => {
    it.skip(`UNAVAILABLE: ${WEBGPU_REASON}`, () => {});
  });
