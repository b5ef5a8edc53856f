import { describe, expect, it } from 'vitest';
import { DisposedError, InvalidArgumentError, OutOfMemoryError, tensor, full, Tensor } from '../../src/index.js';

describe('tensor()', () => {
  it('copies the data: later changes to the caller array do not leak in, and read() returns a copy', async () => {
    const src = new Float32Array([1, 2, 3, 4, 5, 6]);
    const t = tensor(src, [2, 3]);
    src[0] = 99;
    const a = await t.read();
    expect(Array.from(a)).toEqual([1, 2, 3, 4, 5, 6]);
    a[1] = -1;
    expect((await t.read())[1]).toBe(2);
    expect(t.shape).toEqual([2, 3]);
    expect(t.size).toBe(6);
  });

  it('rejects non-float data, shape mismatch, NaN/Infinity and bad dimensions with typed errors', () => {
    const bad: [() => unknown, RegExp][] = [
      [() => tensor(new Float64Array(4) as unknown as Float32Array, [4]), /Float32Array.*Float64Array/],
      [() => tensor([1, 2] as unknown as Float32Array, [2]), /Float32Array/],
      [() => tensor(new Float32Array(5), [2, 3]), /needs 6 values, data has 5/],
      [() => tensor(new Float32Array([1, NaN]), [2]), /data\[1\] is NaN/],
      [() => tensor(new Float32Array([Infinity]), [1]), /data\[0\] is Infinity/],
      [() => tensor(new Float32Array(0), [0]), /positive integers/],
      [() => tensor(new Float32Array(2), [-1, -2]), /positive integers/],
      [() => tensor(new Float32Array(2), [2.5]), /positive integers/],
      [() => tensor(new Float32Array(2), []), /at least one dimension/],
    ];
    for (const [f, msg] of bad) {
      expect(f).toThrow(InvalidArgumentError);
      expect(f).toThrow(msg);
    }
    try {
      tensor(new Float32Array(1), [1, 2]);
    } catch (e) {
      expect((e as InvalidArgumentError).code).toBe('ERR_INVALID_ARGUMENT');
    }
  });

  it('refuses absurd sizes before allocating', () => {
    expect(() => full([4096, 4096, 4096], 0)).toThrow(OutOfMemoryError);
    expect(() => tensor(new Float32Array(1), [65536, 65536])).toThrow(/more than/);
  });

  it('reshape shares storage; dispose is refcounted and use after dispose throws DisposedError', async () => {
    const t = tensor(new Float32Array([1, 2, 3, 4]), [4]);
    const r = t.reshape([2, 2]);
    t.dispose();
    expect(t.disposed).toBe(true);
    expect(Array.from(await r.read())).toEqual([1, 2, 3, 4]);
    await expect(t.read()).rejects.toBeInstanceOf(DisposedError);
    expect(() => r.reshape([3])).toThrow(/cannot view/);
    r.dispose();
    r.dispose();
    expect(r.toString()).toBe('Tensor[2, 2] (disposed)');
    expect(t).toBeInstanceOf(Tensor);
  });
});

describe('cpu output arrays are reused after release (native backend pool)', () => {
  it('a view keeps its storage alive, reused arrays never mix results, caller data is never reused', async () => {
    const { ops } = await import('../../src/index.js');
    const n = 3 * 4096; // above the pool's minimum size
    const a = tensor(Float32Array.from({ length: n }, (_, i) => i % 7), [n]);
    const b = tensor(Float32Array.from({ length: n }, (_, i) => (i % 5) - 2), [n]);
    const want = Array.from({ length: n }, (_, i) => (i % 7) + (i % 5) - 2);
    const x = await ops.add(a, b, { backend: 'cpu' });
    const view = x.reshape([3, 4096]);
    x.dispose(); // the view still holds the storage: not released, not reused
    const y = await ops.add(a, b, { backend: 'cpu' });
    expect(Array.from(await view.read())).toEqual(want);
    view.dispose(); // now released into the pool
    const z = await ops.mul(a, b, { backend: 'cpu' }); // may get view's array back, overwritten fully
    expect(Array.from(await z.read())).toEqual(Array.from({ length: n }, (_, i) => (i % 7) * ((i % 5) - 2)));
    expect(Array.from(await y.read())).toEqual(want);
    const src = new Float32Array(n).fill(1);
    const u = tensor(src, [n]);
    u.dispose();
    const w = await ops.add(a, b, { backend: 'cpu' });
    expect(Array.from(src)).toEqual(new Array(n).fill(1)); // caller data is never handed out again
    for (const t of [a, b, y, z, w]) t.dispose();
  });
});
