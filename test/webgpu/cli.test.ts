/** `microrecon generate --backend webgpu` and `microrecon backends` through the CLI entry. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli as run } from '../run-cli.js';
import { readVolume, sampleDataPath } from '../../src/index.js';
import { WEBGPU, WEBGPU_REASON } from './helpers.js';

let dir = '';
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});


describe.skipIf(!WEBGPU)('CLI on webgpu', () => {
  it('backends lists webgpu as available', async () => {
    const r = await run('backends');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/✓ webgpu/);
  });

  it('generate --backend webgpu writes the same volume as --backend cpu', async () => {
    dir = await mkdtemp(join(tmpdir(), 'microrecon-webgpu-cli-'));
    const input = await sampleDataPath('berea_slice64.png');
    const vols = [];
    for (const backend of ['cpu', 'webgpu']) {
      const out = join(dir, `${backend}.tif`);
      const r = await run('generate', '--model', 'builtin:berea', '--input', input, '--size', '32', '--seed', '2', '--out', out, '--backend', backend, '--quiet');
      expect(r.code, r.err).toBe(0);
      vols.push(await readVolume(out));
    }
    let same = 0;
    for (let i = 0; i < vols[0].data.length; i++) same += vols[0].data[i] === vols[1].data[i] ? 1 : 0;
    expect(same / vols[0].data.length).toBeGreaterThanOrEqual(0.999);
  });
});

if (!WEBGPU)
  describe('webgpu unavailable', () => {
    it.skip(`UNAVAILABLE: ${WEBGPU_REASON}`, () => {});
  });
