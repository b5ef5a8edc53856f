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
