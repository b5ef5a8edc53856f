/**
 * Bad input on the wasm backend: every refusal the cpu backend gives (typed error class and `code`), whether
 * TypeScript validation catches it or the kernel does; and running out of wasm memory is an OutOfMemoryError,
 * both when allocating a tensor and inside a kernel, after which the module keeps working.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  fromBackendError, InvalidArgumentError, MicroreconError, NotSupportedError, ops, OutOfMemoryError, tensor, type Tensor,
} from '../../src/index.js';
import { NativeCpuBackend } from '../../src/backends/native.js';
import { prng } from '../ops/helpers.js';
import { selectedVariants, useWasmVariant } from './helpers.js';
import type { WasmBackend, WasmHandle } from '../../src/backends/wasm.js';

const rand = prng(11);
function t(shape: number[]): Tensor {
  const n = shape.reduce((p, q) => p * q, 1);
  return tensor(Float32Array.from({ length: n }, () => rand() * 2 - 1), shape);
}

type Backend = 'cpu' | 'wasm';
const x5 = t([1, 2, 4, 4, 4]);
const w5 = t([3, 2, 3, 3, 3]);

/** Bad op calls, each run on both backends. */
const opCases: Array<[string, (backend: Backend) => Promise<unknown>]> = [
  ['conv3d on a 4D input', (backend) => ops.conv3d(t([1, 2, 4, 4]), w5, { backend })],
  ['conv3d channels', (backend) => ops.conv3d(x5, t([3, 3, 3, 3, 3]), { backend })],
  ['conv3d bias length', (backend) => ops.conv3d(x5, w5, { bias: t([4]), backend })],
  ['conv3d negative padding', (backend) => ops.conv3d(x5, w5, { padding: -1, backend })],
  ['conv2d groups not dividing Cin', (backend) => ops.conv2d(t([1, 3, 5, 5]), t([4, 1, 3, 3]), { groups: 2, backend })],
  ['linear features', (backend) => ops.linear(t([2, 5]), t([4, 3]), { backend })],
  ['matmul inner dims', (backend) => ops.matmul(t([2, 5]), t([4, 3]), { backend })],
  ['add shapes', (backend) => ops.add(t([2, 3]), t([4]), { backend })],
  ['instanceNorm on one spatial element', (backend) => ops.instanceNorm(t([2, 3, 1, 1]), { backend })],
  ['softmax axis out of range', (backend) => ops.softmax(t([2, 3]), { axis: 2, backend })],
  ['upsample to 4096³', (backend) => ops.upsample(t([1, 1, 2, 2, 2]), { size: 4096, backend })],
  ['concat mismatch', (backend) => ops.concat([t([2, 3]), t([3, 3])], { axis: 1, backend })],
  ['slice past the end', (backend) => ops.slice(t([4, 5]), [2, 0], [3, 5], { backend })],
  ['unknown option', (backend) => ops.upsample(t([1, 1, 4]), { scale: 2, backend } as never)],
];

async function errorOf(p: () => Promise<unknown>): Promise<MicroreconError> {
  try {
    await p();
  } catch (e) {
    return e as MicroreconError;
  }
  throw new Error('expected an error');
}

const cpu = new NativeCpuBackend();
await cpu.init();

/** Raw kernel calls that get past TypeScript (a bug in an op declaration would look like this). */
function kernelCases(): Array<[string, string, number[], number[], Uint8Array]> {
  const unary = (n: number) => new Uint8Array(new Int32Array([n, 0, 0, 0]).buffer);
  return [
    ['input shorter than the params say', 'unary_forward', [8], [9], unary(9)],
    ['params of the wrong size', 'unary_forward', [8], [8], new Uint8Array(12)],
    ['too few inputs', 'binary_forward', [8], [8], new Uint8Array(80)],
    ['unknown kernel', 'fft_forward', [8], [8], unary(8)],
  ];
}

for (const variant of selectedVariants()) {
  describe(`wasm ${variant}: bad input`, () => {
    let wasm: WasmBackend;
    it('loads', async () => {
      wasm = await useWasmVariant(variant);
    });
    for (const [what, call] of opCases)
      it(`${what}: same error as cpu`, async () => {
        const onCpu = await errorOf(() => call('cpu'));
        const onWasm = await errorOf(() => call('wasm'));
        expect(onCpu).toBeInstanceOf(MicroreconError);
        expect(onWasm.constructor).toBe(onCpu.constructor);
        expect(onWasm.code).toBe(onCpu.code);
        expect(onWasm.message).toBe(onCpu.message);
      });
    for (const [what, kernel, inSizes, outSizes, params] of kernelCases())
      it(`kernel ${kernel}, ${what}: same error as cpu`, async () => {
        const onCpu = await errorOf(() => cpu.run(kernel, inSizes.map((n) => cpu.upload(new Float32Array(n))), outSizes.map((n) => cpu.alloc(n)), params))
          .then((e) => fromBackendError(e, kernel));
        const onWasm = await errorOf(() => wasm.run(kernel, inSizes.map((n) => wasm.upload(new Float32Array(n))), outSizes.map((n) => wasm.alloc(n)), params))
          .then((e) => fromBackendError(e, kernel));
        expect([InvalidArgumentError, NotSupportedError]).toContain(onCpu.constructor);
        expect(onWasm.constructor).toBe(onCpu.constructor);
        expect(onWasm.code).toBe(onCpu.code);
        expect(onWasm.message.replace(/^wasm /, '')).toBe(onCpu.message.replace(/^cpu /, ''));
      });

    it('a 1024³ tensor is an OutOfMemoryError, not an abort', async () => {
      const err = await errorOf(() => ops.upsample(t([1, 1, 2, 2, 2]), { size: 1024, backend: 'wasm' }));
      expect(err).toBeInstanceOf(OutOfMemoryError);
      expect(err.code).toBe('ERR_OUT_OF_MEMORY');
      expect(err.message).toMatch(/cannot allocate 1073741824 floats/);
    });

    it('memory running out inside a kernel is an OutOfMemoryError, and the module keeps working', async () => {
      const x = t([1, 16, 20, 20, 20]), w = t([16, 16, 3, 3, 3]);
      const want = await (await ops.conv3d(x, w, { padding: 1, backend: 'cpu' })).read();
      const params = await convParams(x, w);
      const hx = wasm.upload(await x.read()), hw = wasm.upload(await w.read()), hy = wasm.alloc(want.length);
      const filler = fillMemory(wasm);
      try {
        const err = await errorOf(() => wasm.run('conv_forward', [hx, hw], [hy], params)).then((e) => fromBackendError(e, 'conv_forward'));
        expect(err).toBeInstanceOf(OutOfMemoryError);
        expect(err.code).toBe('ERR_OUT_OF_MEMORY');
      } finally {
        filler.forEach((h) => wasm.free(h));
      }
      await wasm.run('conv_forward', [hx, hw], [hy], params);
      const got = await wasm.download(hy);
      let diff = 0;
      for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(got[i] - want[i]));
      expect(diff).toBeLessThan(1e-4);
      [hx, hw, hy].forEach((h) => wasm.free(h));
    });
  });
}

/** Allocates until even 16 floats do not fit (largest blocks first); returns the handles. */
function fillMemory(wasm: WasmBackend): WasmHandle[] {
  const held: WasmHandle[] = [];
  for (let n = 1 << 28; n >= 16; ) {
    try {
      held.push(wasm.alloc(n));
    } catch (e) {
      if (!(e instanceof OutOfMemoryError)) throw e;
      n >>= 1;
    }
  }
  return held;
}

/** The packed ConvParams of conv3d(x, w, padding 1), captured from the op itself on the wasm backend. */
async function convParams(x: Tensor, w: Tensor): Promise<Uint8Array> {
  const { resolveBackend } = await import('../../src/backends/registry.js');
  const b = await resolveBackend('wasm', 'conv_forward');
  const run = b.run;
  let captured: Uint8Array | undefined;
  b.run = async (kernel, ins, outs, params) => {
    captured = params.slice();
    return run.call(b, kernel, ins, outs, params);
  };
  try {
    (await ops.conv3d(x, w, { padding: 1, backend: 'wasm' })).dispose();
  } finally {
    b.run = run;
  }
  return captured!;
}

afterAll(() => {
  x5.dispose();
  w5.dispose();
});
