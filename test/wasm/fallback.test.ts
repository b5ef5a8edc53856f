/**
 * backend 'auto' in Node without the native addon: the cpu backend reports why it is unavailable, ops and the
 * Reconstructor run on wasm, and a one-line notice is printed once. The addon is hidden by pointing
 * MICRORECON_ADDON at a missing file before the SDK loads (vitest gives each test file fresh modules).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

process.env.MICRORECON_ADDON = '/nonexistent/microrecon.node';
const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
const { backends, ops, tensor, Reconstructor, builtinModels } = await import('../../src/index.js');

afterAll(() => {
  warn.mockRestore();
  delete process.env.MICRORECON_ADDON;
});

describe("'auto' without the native addon", () => {
  it('lists cpu as unavailable with the reason, wasm as available', async () => {
    const list = await backends();
    const cpu = list.find((b) => b.name === 'cpu')!;
    expect(cpu.available).toBe(false);
    expect(cpu.reason).toMatch(/native addon was not built.*nonexistent/);
    expect(list.find((b) => b.name === 'wasm')).toMatchObject({ available: true, priority: 50 });
  });

  it('runs ops on wasm and prints the fallback notice once', async () => {
    const x = tensor(Float32Array.from([-2, -1, 0, 1, 2, 3]), [1, 2, 3]);
    const y = await ops.relu(x);
    const z = await ops.add(y, y);
    expect(y.location).toBe('wasm');
    expect(Array.from(await z.read())).toEqual([0, 0, 0, 2, 4, 6]);
    const notices = warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('WebAssembly backend'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/^microrecon: the native cpu backend is unavailable \(.*nonexistent.*\); using the slower WebAssembly backend/);
    expect(notices[0]).not.toContain('\n');
  });

  it('reconstructs with the first shipped model', async () => {
    const [name] = await builtinModels();
    const rec = await Reconstructor.load(`builtin:${name}`);
    const k = rec.info.k, P = rec.info.phases;
    const data = Uint8Array.from({ length: k * 32 * 32 }, (_, i) => ((i >> 3) + (i >> 8)) % P);
    const vol = await rec.reconstruct({ shape: [k, 32, 32], data }, { size: 32, seed: 1 });
    rec.dispose();
    expect(vol.shape).toEqual([32, 32, 32]);
    expect(Math.max(...vol.data)).toBeLessThan(P);
  });

  it('the CLI generates on wasm, prints the notice once on stderr and exits (built dist/)', () => {
    const root = join(import.meta.dirname, '../..');
    const dir = mkdtempSync(join(tmpdir(), 'microrecon-wasm-'));
    try {
      const r = spawnSync(process.execPath, [join(root, 'bin/microrecon.js'), 'generate', '--model', 'builtin:berea', '--input',
        join(root, 'data/berea_slice64.png'), '--size', '32', '--seed', '1', '--out', join(dir, 'out.tif'), '--quiet'],
      { encoding: 'utf8', timeout: 60_000, env: { ...process.env, MICRORECON_ADDON: '/nonexistent/microrecon.node' } });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr.match(/using the slower WebAssembly backend/g)).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
