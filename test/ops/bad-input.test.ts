/**
 * Bad inputs are refused in TypeScript, before any kernel runs, with the typed error, its `code` and a message
 * that names the problem; and ops never modify their inputs.
 */
import { describe, expect, it } from 'vitest';
import {
  backends, BackendUnavailableError, DisposedError, full, InvalidArgumentError, MicroreconError, ops, OutOfMemoryError,
  tensor, type Tensor,
} from '../../src/index.js';
import { prng } from './helpers.js';

const rand = prng(7);
function t(shape: number[], lo = -1, hi = 1): Tensor {
  const n = shape.reduce((p, q) => p * q, 1);
  return tensor(Float32Array.from({ length: n }, () => lo + (hi - lo) * rand()), shape);
}

type ErrorClass = new (...args: never[]) => MicroreconError;

async function expectError(p: () => Promise<unknown> | unknown, cls: ErrorClass, code: string, message: RegExp): Promise<void> {
  let err: unknown;
  try {
    await p();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an error').toBeInstanceOf(cls);
  expect((err as MicroreconError).code).toBe(code);
  expect((err as Error).message).toMatch(message);
}

const x5 = t([1, 2, 4, 4, 4]);
const w5 = t([3, 2, 3, 3, 3]);

// [what, call, error class, code, message]
const cases: Array<[string, () => unknown, ErrorClass, string, RegExp]> = [
  // wrong rank
  ['conv3d on a 4D input', () => ops.conv3d(t([1, 2, 4, 4]), w5), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /rank 5.*\[1, 2, 4, 4\]/],
  ['upsample on a 2D input', () => ops.upsample(t([2, 3]), { scaleFactor: 2 }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /rank 3, 4 or 5.*\[2, 3\]/],
  ['instanceNorm on [N, C]', () => ops.instanceNorm(t([2, 3])), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /rank >= 3.*\[2, 3\]/],
  ['globalAvgPool on [N, C]', () => ops.globalAvgPool(t([2, 3])), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /rank >= 3.*\[2, 3\]/],
  ['linear with a 3D weight', () => ops.linear(t([2, 3]), t([4, 3, 1])), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /weight must have rank 2.*\[4, 3, 1\]/],
  ['matmul of a vector', () => ops.matmul(t([3]), t([3, 2])), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /a must have rank 2.*\[3\]/],
  ['softmax axis out of range', () => ops.softmax(t([2, 3]), { axis: 2 }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /axis 2 is out of range for rank 2/],
  ['softmax axis not an integer', () => ops.softmax(t([2, 3]), { axis: 0.5 }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /axis 0.5/],
  ['permute with too few dims', () => ops.permute(t([2, 3, 4]), [1, 0]), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /dims must be an array of 3 axes/],
  ['permute repeating an axis', () => ops.permute(t([2, 3, 4]), [0, 1, 1]), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /repeat an axis/],
  ['upsample trilinear on 4D', () => ops.upsample(t([1, 1, 4, 4]), { scaleFactor: 2, mode: 'trilinear' }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /'trilinear'.*rank-4.*'bilinear'/],
  // mismatched channels / shapes
  ['conv3d channels', () => ops.conv3d(x5, t([3, 3, 3, 3, 3])), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /expects 3 input channels.*has 2/],
  ['conv3d bias length', () => ops.conv3d(x5, w5, { bias: t([4]) }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /bias must have shape \[3\], got \[4\]/],
  ['instanceNorm weight length', () => ops.instanceNorm(t([1, 3, 4]), { weight: t([4]) }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /weight must have shape \[3\], got \[4\]/],
  ['batchNorm runningVar length', () => ops.batchNorm(t([2, 3, 4]), { runningMean: t([3]), runningVar: t([2]) }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /runningVar must have shape \[3\], got \[2\]/],
  ['batchNorm eval without running stats', () => ops.batchNorm(t([2, 3, 4])), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /eval mode.*runningMean and runningVar/],
  ['batchNorm training on one value per channel', () => ops.batchNorm(t([1, 3]), { training: true }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /one value per channel/],
  ['instanceNorm on one spatial element', () => ops.instanceNorm(t([2, 3, 1, 1])), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /one spatial element/],
  ['linear features', () => ops.linear(t([2, 5]), t([4, 3])), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /5 features.*expects 3/],
  ['matmul inner dims', () => ops.matmul(t([2, 5]), t([4, 3])), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /inner dimensions differ.*5 columns.*4 rows/],
  ['concat mismatch', () => ops.concat([t([2, 3]), t([3, 3])], { axis: 1 }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /tensors\[1\] \[3, 3\] does not match tensors\[0\] \[2, 3\]/],
  ['split sizes', () => ops.split(t([5, 2]), [2, 2]), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /sum to 4.*has 5/],
  ['expand incompatible', () => ops.expand(t([3, 2]), [3, 4]), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /cannot expand \[3, 2\] to \[3, 4\]/],
  ['slice past the end', () => ops.slice(t([4, 5]), [2, 0], [3, 5]), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /begin\[0\] \+ size\[0\] = 2 \+ 3 exceeds axis 0 of size 4/],
  ['backward dy shape', () => ops.upsampleBackward(t([1, 1, 4]), t([1, 1, 4]), { scaleFactor: 2 }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /dy must have shape \[1, 1, 8\], got \[1, 1, 4\]/],
  ['reduceBackward dy shape', () => ops.reduceBackward(t([2]), t([2, 3]), { kind: 'sum', axis: 0 }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /dy must have shape \[3\], got \[2\]/],
  ['add shapes', () => ops.add(t([2, 3]), t([4])), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /\[2, 3\] and \[4\] do not broadcast/],
  // groups
  ['conv2d groups not dividing Cin', () => ops.conv2d(t([1, 3, 5, 5]), t([4, 1, 3, 3]), { groups: 2 }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /input channels 3 are not divisible by groups 2/],
  ['conv3d groups not dividing Cout', () => ops.conv3d(t([1, 4, 3, 3, 3]), t([3, 2, 1, 1, 1]), { groups: 2 }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /output channels 3 are not divisible by groups 2/],
  // non-Tensor inputs
  ['relu of an array', () => ops.relu([1, 2] as unknown as Tensor), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /x must be a Tensor/],
  ['linear weight as Float32Array', () => ops.linear(t([2, 3]), new Float32Array(12) as unknown as Tensor), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /weight must be a Tensor/],
  ['concat of a non-array', () => ops.concat('x' as unknown as Tensor[]), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /tensors must be an array/],
  ['concat with a null', () => ops.concat([t([2]), null as unknown as Tensor]), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /tensors\[1\] must be a Tensor/],
  ['batchNorm weight as number', () => ops.batchNorm(t([2, 3]), { training: true, weight: 1 as unknown as Tensor }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /weight must be a Tensor/],
  ['instanceNormBackward without saved', () => ops.instanceNormBackward(t([1, 2, 3]), t([1, 2, 3]), null as never), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /saved must be \{ mean, rstd \}/],
  // NaN / zero / negative sizes
  ['tensor() with NaN', () => tensor(Float32Array.of(1, NaN), [2]), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /data\[1\] is NaN/],
  ['tensor() with Infinity', () => tensor(Float32Array.of(Infinity), [1]), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /data\[0\] is Infinity/],
  ['tensor() with a zero dimension', () => tensor(new Float32Array(0), [0]), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /positive integers, got 0/],
  ['full() with a negative dimension', () => full([2, -1], 0), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /positive integers, got -1/],
  ['upsample to size 0', () => ops.upsample(t([1, 1, 4]), { size: 0 }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /size must be a positive integer, got 0/],
  ['upsample with a negative scale', () => ops.upsample(t([1, 1, 4]), { scaleFactor: -2 }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /scaleFactor must be a positive finite number, got -2/],
  ['upsample with NaN scale', () => ops.upsample(t([1, 1, 4]), { scaleFactor: NaN }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /scaleFactor must be a positive finite number, got null/],
  ['upsample shrinking to nothing', () => ops.upsample(t([1, 1, 4]), { scaleFactor: 0.1 }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /shrinks axis 0 of size 4 to nothing/],
  ['slice of size 0', () => ops.slice(t([4]), [0], [0]), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /size\[0\] must be an integer >= 1, got 0/],
  ['pad by a negative amount', () => ops.pad(t([4]), [[-1, 0]]), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /pads\[0\]\[0\] must be an integer >= 0, got -1/],
  ['split with a zero piece', () => ops.split(t([4]), [4, 0]), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /sizes\[1\] must be an integer >= 1, got 0/],
  ['conv3d negative padding', () => ops.conv3d(x5, w5, { padding: -1 }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /padding must be an integer >= 0, got -1/],
  ['batchNorm eps <= 0', () => ops.batchNorm(t([2, 3]), { training: true, eps: 0 }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /eps must be a positive finite number, got 0/],
  ['batchNorm momentum > 1', () => ops.batchNorm(t([2, 3]), { training: true, momentum: 2 }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /momentum must be a number in \[0, 1\], got 2/],
  // absurd sizes: refused before anything is allocated
  ['upsample to 4096³', () => ops.upsample(t([1, 1, 2, 2, 2]), { size: 4096 }), OutOfMemoryError, 'ERR_OUT_OF_MEMORY', /output \[1, 1, 4096, 4096, 4096\] has 6\.872e\+10 elements/],
  ['expand to 4096³', () => ops.expand(t([1]), [4096, 4096, 4096]), OutOfMemoryError, 'ERR_OUT_OF_MEMORY', /4096, 4096, 4096/],
  ['pad to beyond 2^31 elements', () => ops.pad(t([2, 2]), [[0, 70000], [0, 70000]]), OutOfMemoryError, 'ERR_OUT_OF_MEMORY', /output \[70002, 70002\]/],
  ['full() of 4096³', () => full([4096, 4096, 4096], 0), OutOfMemoryError, 'ERR_OUT_OF_MEMORY', /\[4096, 4096, 4096\]/],
  ['convTranspose3d to a huge output', () => ops.convTranspose3d(t([1, 1, 2, 2, 2]), t([1, 1, 1, 1, 1]), { stride: 5000 }), OutOfMemoryError, 'ERR_OUT_OF_MEMORY', /output \[1, 1, 5001, 5001, 5001\]/],
  ['linear to a huge output', () => ops.linear(t([70000, 1]), t([70000, 1])), OutOfMemoryError, 'ERR_OUT_OF_MEMORY', /output \[70000, 70000\]/],
  // backends
  ['unknown backend name', () => ops.softmax(t([2, 3]), { backend: 'tpu' as never }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /backend must be 'auto' or one of .*got "tpu"/],
  // option names and types
  ['upsample unknown option', () => ops.upsample(t([1, 1, 4]), { scale: 2 } as never), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /unknown option 'scale'/],
  ['softmax unknown option', () => ops.softmax(t([2, 3]), { dim: 1 } as never), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /unknown option 'dim'/],
  ['batchNorm misspelt option', () => ops.batchNorm(t([2, 3]), { trainng: true } as never), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /unknown option 'trainng'/],
  ['conv3d unknown option', () => ops.conv3d(x5, w5, { strides: 2 } as never), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /unknown option 'strides'/],
  ['linear unknown option', () => ops.linear(t([2, 3]), t([4, 3]), { useBias: true } as never), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /unknown option 'useBias'/],
  ['concat unknown option', () => ops.concat([t([2])], { dim: 0 } as never), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /unknown option 'dim'/],
  ['pad unknown option', () => ops.pad(t([2]), [[1, 1]], { mode: 'reflect' } as never), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /unknown option 'mode'/],
  ['upsample unknown mode', () => ops.upsample(t([1, 1, 4]), { scaleFactor: 2, mode: 'cubic' as never }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /mode must be one of .*"cubic"/],
  ['upsample alignCorners with nearest', () => ops.upsample(t([1, 1, 4]), { scaleFactor: 2, alignCorners: true }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /alignCorners applies to linear modes only/],
  ['upsample alignCorners not a boolean', () => ops.upsample(t([1, 1, 4]), { scaleFactor: 2, mode: 'linear', alignCorners: 1 as never }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /alignCorners must be a boolean, got 1/],
  ['upsample size and scaleFactor', () => ops.upsample(t([1, 1, 4]), { scaleFactor: 2, size: 8 }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /exactly one of size and scaleFactor/],
  ['batchNorm training not a boolean', () => ops.batchNorm(t([2, 3]), { training: 'yes' as never }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /training must be a boolean, got "yes"/],
  ['reduceBackward unknown kind', () => ops.reduceBackward(t([1]), t([2]), { kind: 'prod' as never }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /kind must be one of sum, mean, max, got "prod"/],
  ['options not an object', () => ops.softmax(t([2, 3]), 1 as never), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /options must be an object/],
];

describe('bad inputs are refused with typed errors', () => {
  for (const [what, call, cls, code, message] of cases)
    it(what, async () => {
      await expectError(call, cls, code, message);
    });

  it('absurd sizes are refused at once, without allocating', async () => {
    const before = process.memoryUsage().rss;
    const t0 = performance.now();
    await expectError(() => ops.upsample(t([1, 1, 2, 2, 2]), { size: 4096 }), OutOfMemoryError, 'ERR_OUT_OF_MEMORY', /4096/);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 2 ** 20);
  });

  it('disposed tensors are refused by every kind of op', async () => {
    const d = t([1, 2, 4, 4, 4]);
    d.dispose();
    const calls: Array<() => unknown> = [
      () => ops.relu(d), () => ops.conv3d(d, w5), () => ops.upsample(d, { scaleFactor: 2 }), () => ops.instanceNorm(d),
      () => ops.softmax(d), () => ops.globalAvgPool(d), () => ops.concat([t([1, 2, 4, 4, 4]), d]), () => ops.permute(d, [0, 1, 2, 3, 4]),
      () => ops.linear(t([2, 2]), d), () => ops.batchNorm(x5, { training: true, weight: d }), () => d.read(),
    ];
    for (const call of calls) await expectError(call, DisposedError, 'ERR_DISPOSED', /disposed/);
  });

  it('an unavailable backend is refused with ERR_BACKEND_UNAVAILABLE and its reason', async (ctx) => {
    const missing = (await backends()).find((b) => !b.available);
    if (!missing) ctx.skip('every backend is available here');
    await expectError(() => ops.relu(t([2]), { backend: missing!.name }), BackendUnavailableError, 'ERR_BACKEND_UNAVAILABLE',
      new RegExp(`'${missing!.name}' is unavailable`));
    try {
      await ops.softmax(t([2, 3]), { backend: missing!.name });
    } catch (e) {
      expect((e as BackendUnavailableError).reasons[missing!.name]).toBe(missing!.reason);
    }
  });
});

describe('inputs are never modified', () => {
  const snapshot = async (ts: Tensor[]) => Promise.all(ts.map((x) => x.read()));

  it('by batchNorm in training (new running statistics are returned, the caller\'s stay)', async () => {
    const x = t([3, 2, 5]);
    const rm = t([2]);
    const rv = t([2], 0.5, 2);
    const w = t([2]);
    const before = await snapshot([x, rm, rv, w]);
    const r = await ops.batchNorm(x, { training: true, runningMean: rm, runningVar: rv, weight: w, momentum: 0.5 });
    expect(await snapshot([x, rm, rv, w])).toEqual(before);
    expect(await r.runningMean!.read()).not.toEqual(before[1]);
    expect(await r.runningVar!.read()).not.toEqual(before[2]);
    const g = await ops.batchNormBackward(t([3, 2, 5]), x, r, { training: true, weight: w });
    expect(await snapshot([x, w, r.mean, r.rstd])).toEqual([before[0], before[3], await r.mean.read(), await r.rstd.read()]);
    expect(g.dweight?.shape).toEqual([2]);
  });

  it('by every op family, on success and on refusal', async () => {
    const x = t([2, 3, 4, 4]);
    const w = t([4, 3, 3, 3]);
    const dy = t([2, 3, 8, 8]);
    const before = await snapshot([x, w, dy]);
    await ops.conv2d(x, w, { padding: 1 });
    await ops.upsample(x, { scaleFactor: 2, mode: 'bilinear' });
    await ops.upsampleBackward(dy, x, { scaleFactor: 2, mode: 'bilinear' });
    await ops.instanceNormForward(x);
    await ops.softmax(x);
    await ops.channelMax(x);
    await ops.reduceBackward(t([2, 4]), x, { kind: 'max', axis: [1, 3] });
    await ops.pad(x, [[0, 0], [1, 1], [0, 1], [2, 0]], { value: 2 });
    await ops.concat([x, x, x], { axis: 1 });
    await expect(ops.conv2d(x, w, { groups: 2 })).rejects.toThrow(InvalidArgumentError);
    expect(await snapshot([x, w, dy])).toEqual(before);
  });
});
