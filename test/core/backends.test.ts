import { afterEach, describe, expect, it } from 'vitest';
import { backends, BackendUnavailableError, InvalidArgumentError, ops, tensor } from '../../src/index.js';
import { resetBackends } from '../../src/backends/index.js';

describe('backends()', () => {
  afterEach(() => {
    delete process.env.MICRORECON_DISABLE_NATIVE;
    resetBackends();
  });

  it('lists every known backend, with a reason for each unavailable one', async () => {
    const list = await backends();
    expect(list.map((b) => b.name).sort()).toEqual(['cpu', 'cuda', 'wasm', 'webgpu']);
    for (const b of list) {
      if (!b.available) {
        expect(typeof b.reason).toBe('string');
        expect(b.reason!.length).toBeGreaterThan(10);
        console.warn(`backend ${b.name} unavailable here: ${b.reason}`);
      }
    }
    const cpu = list.find((b) => b.name === 'cpu')!;
    expect(cpu.available).toBe(true);
    expect(cpu.details).toMatchObject({ threads: expect.any(Number), isa: expect.stringMatching(/avx512|avx2|portable/) });
  });

  it('a wrong backend name is an invalid argument; an unavailable one says why', async () => {
    const x = tensor(new Float32Array([1, -1]), [2]);
    await expect(ops.relu(x, { backend: 'gpu' as never })).rejects.toBeInstanceOf(InvalidArgumentError);
    const err = await ops.relu(x, { backend: 'cuda' }).catch((e) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.code).toBe('ERR_BACKEND_UNAVAILABLE');
    expect(err.message).toMatch(/cuda/);
  });
});
