/** The webgpu backend's contract: listed by backends(), tensors stay on the GPU, a lost device is a clear error. */
import { describe, expect, it } from 'vitest';
import { backends, ops, tensor } from '../../src/index.js';
import { WebGpuBackend } from '../../src/backends/webgpu/index.js';
import { WEBGPU, WEBGPU_REASON } from './helpers.js';

describe.skipIf(!WEBGPU)('webgpu backend', () => {
  it('is listed with its adapter, below cpu in Node', async () => {
    const b = (await backends()).find((s) => s.name === 'webgpu')!;
    const cpu = (await backends()).find((s) => s.name === 'cpu')!;
    expect(b.available).toBe(true);
    expect(String(b.details?.adapter)).not.toBe('');
    expect(b.priority!).toBeLessThan(cpu.priority!);
  });

  it('keeps results on the GPU between ops and reads back once', async () => {
    const x = tensor(Float32Array.from({ length: 24 }, (_, i) => i - 12), [2, 3, 4]);
    const a = await ops.relu(x, { backend: 'webgpu' });
    const b = await ops.mul(a, a, { backend: 'webgpu' });
    expect(a.location).toBe('webgpu');
    expect(b.location).toBe('webgpu');
    expect(Array.from(await b.read())).toEqual(Array.from({ length: 24 }, (_, i) => Math.max(0, i - 12) ** 2));
    // an op with backend 'auto' stays where its inputs live
    const c = await ops.add(b, b);
    expect(c.location).toBe('webgpu');
    for (const t of [x, a, b, c]) t.dispose();
  });

  it('turns a lost device into a clear error and stops claiming kernels', async () => {
    const be = new WebGpuBackend(1);
    await be.init();
    const h = be.upload(new Float32Array([1, 2, 3]));
    be.device.destroy();
    await be.device.lost;
    expect(be.lostReason).toMatch(/lost/);
    expect(be.supports('unary_forward')).toBe(false);
    await expect(be.run('unary_forward', [h], [h], new Uint8Array(16))).rejects.toThrow(/device was lost/);
  });
});

if (!WEBGPU)
  describe('webgpu unavailable', () => {
    it.skip(`UNAVAILABLE: ${WEBGPU_REASON}`, () => {});
  });
