/** maximum / minimum gradients: to the larger / smaller operand, split evenly at ties (PyTorch's rule), every backend. */
import { describe, expect, it } from 'vitest';
import { backends, ops, tensor } from '../../src/index.js';

const available = (await backends()).filter((b) => b.available).map((b) => b.name);

describe.each(available)('binaryBackward maximum/minimum on %s', (backend) => {
  it('routes the gradient by comparison and halves it at ties, with broadcasting', async () => {
    const a = tensor(Float32Array.from([1, 5, 3, -2, 7, 0]), [2, 3]);
    const b = tensor(Float32Array.from([3, 5, 1]), [3]); // broadcast over rows; ties at (0, 1)
    const dy = tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    const mx = await ops.binaryBackward('maximum', dy, a, b, { backend });
    expect(Array.from(await mx.da.read())).toEqual([0, 1, 3, 0, 5, 0]);
    expect(Array.from(await mx.db.read())).toEqual([1 + 4, 1 + 0, 0 + 6]);
    const mn = await ops.binaryBackward('minimum', dy, a, b, { backend });
    expect(Array.from(await mn.da.read())).toEqual([1, 1, 0, 4, 0, 6]);
    expect(Array.from(await mn.db.read())).toEqual([0, 1 + 5, 3 + 0]);
    for (const t of [a, b, dy, mx.da, mx.db, mn.da, mn.db]) t.dispose();
  });
});
