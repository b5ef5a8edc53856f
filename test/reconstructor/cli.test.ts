/** `microrecon generate` and `microrecon train` through the CLI entry (exit codes, outputs, typed-error messages). */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli as run } from '../run-cli.js';
import { readVolume } from '../../src/index.js';

const DATA = join(import.meta.dirname, '../../../shared/data');
const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'microrecon-cli-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});


describe('CLI', () => {
  it('generate: builtin models at a size below the training size, TIFF out', async () => {
    const d = await tmp();
    for (const [model, input] of [['berea', 'berea/berea_slice64.png'], ['nmc', 'nmc/nmc_sections7.tif']]) {
      const out = join(d, `${model}.tif`);
      const r = await run('generate', '--model', `builtin:${model}`, '--input', join(DATA, input), '--size', '32', '--seed', '1', '--out', out, '--backend', 'cpu', '--quiet');
      expect(r.code, r.err).toBe(0);
      const v = await readVolume(out);
      expect(v.shape).toEqual([32, 32, 32]);
    }
    const nmc = await readVolume(join(d, 'nmc.tif'));
    expect(nmc.labels).toEqual([0, 1, 2]);
  });

  it('generate: bad input gives a message and exit code 1', async () => {
    const d = await tmp();
    const out = join(d, 'x.tif');
    const slice = join(DATA, 'berea/berea_slice64.png');
    const cases: [string[], RegExp][] = [
      [['--model', 'builtin:nope', '--input', slice], /available: builtin:berea/],
      [['--model', 'builtin:berea', '--input', slice, '--backend', 'quantum'], /backend/],
      [['--model', 'builtin:berea', '--input', slice, '--size', '0'], /size/],
      [['--model', 'builtin:berea', '--input', slice, '--size', '100000'], /too large/],
      [['--model', 'builtin:berea', '--input', slice, '--size', 'abc'], /integer/],
      [['--model', 'builtin:berea', '--input', join(DATA, 'nmc/nmc_sections7.tif')], /one slice/],
      [['--model', 'builtin:nmc', '--input', slice], /k = 3, 5, 7, 9|phase|value/],
      [['--model', d, '--input', slice], /config.json/],
    ];
    for (const [args, re] of cases) {
      const r = await run('generate', ...args, '--out', out, '--quiet');
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toMatch(re);
    }
  });

  it('train: a tiny run, then --resume continues it', async () => {
    const d = await tmp();
    const cfg = join(d, 'cfg.json');
    await writeFile(cfg, JSON.stringify({
      config: { generator: { encoderChannels: [4, 8], decoderChannels: [3, 6], headChannels: 2, noiseChannels: 1, noise3dChannels: 1, cbamKernel: 3 }, critic: { channels: [4, 8] }, optim: { batchSize: 1 } },
      trainer: { validateEvery: 2, validationBlocks: 1, advStartIterations: 1 },
    }));
    const out = join(d, 'run');
    const args = ['train', '--data', join(DATA, 'berea/berea_crop48.tif'), '--mode', 'paired', '--size', '16', '--config', cfg, '--out', out, '--quiet'];
    expect((await run(...args, '--iterations', '2')).code).toBe(0);
    const r = await run(...args, '--iterations', '3', '--resume');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/done at iteration 3/);
    const st = JSON.parse(await readFile(join(out, 'checkpoint/training.json'), 'utf8'));
    expect(st.state.iteration).toBe(3);
    expect((await run('train', '--data', join(DATA, 'berea/berea_crop48.tif'), '--mode', 'both', '--out', out)).code).toBe(1);
  });
});
