/** Trainer: tiny configs on small crops: exact resume, abort, 2D mode, held-out split, bad input. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, Trainer, type Volume } from '../../src/index.js';
import { loadCheckpoint, loadModel, readSafetensors } from '../../src/model/index.js';
import { berea, small, tiny } from './fixtures.js';

const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'microrecon-trainer-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const settings = { advStartIterations: 1, advRampIterations: 2, validateEvery: 2, checkpointEvery: 2, validationBlocks: 2, logEvery: 1 };

async function tensorsOf(file: string): Promise<Map<string, Float32Array>> {
  const st = await readSafetensors(file);
  return new Map([...st.tensors].map(([n, a]) => [n, a.data as Float32Array]));
}

describe('Trainer', () => {
  it('resumes exactly: 2 + 2 iterations equal 4 uninterrupted (weights, critic, Adam, EMA bit for bit)', async () => {
    const [a, b] = [await tmp(), await tmp()];
    const make = (out: string) => Trainer.create({ data: small, mode: 'paired', out, size: 16, config: tiny, trainer: settings });
    const ta = await make(a);
    const ra = await ta.train({ iterations: 4 });
    ta.dispose();
    expect(ra.iteration).toBe(4);
    const tb = await make(b);
    await tb.train({ iterations: 2 });
    tb.dispose();
    const tb2 = await Trainer.create({ data: small, mode: 'paired', out: b, size: 16, resume: true });
    expect(tb2.iteration).toBe(2);
    await tb2.train({ iterations: 4 });
    tb2.dispose();
    const [wa, wb] = [await tensorsOf(join(a, 'checkpoint/training.safetensors')), await tensorsOf(join(b, 'checkpoint/training.safetensors'))];
    expect([...wb.keys()].sort()).toEqual([...wa.keys()].sort());
    expect([...wa.keys()].some((k) => k.startsWith('critic.volume.'))).toBe(true);
    for (const [n, x] of wa) expect(Buffer.from(wb.get(n)!.buffer).equals(Buffer.from(x.buffer)), n).toBe(true);
    const ja = JSON.parse(await readFile(join(a, 'checkpoint/training.json'), 'utf8'));
    const jb = JSON.parse(await readFile(join(b, 'checkpoint/training.json'), 'utf8'));
    expect(jb.state.rng).toEqual(ja.state.rng);
    expect(jb.adam).toEqual(ja.adam);
    // config.json states the held-out region; metrics and previews were written
    const cfg = JSON.parse(await readFile(join(a, 'checkpoint/config.json'), 'utf8'));
    expect(cfg.notes.data.heldOut).toEqual({ axis: 'z', from: 24, fraction: 0.4 });
    const lines = (await readFile(join(a, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === 'val').length).toBeGreaterThanOrEqual(3);
    expect(lines.filter((l) => l.type === 'train').every((l) => Number.isFinite(l.g))).toBe(true);
    await loadModel(join(a, 'best'));
  });

  it('an abort stops at the next iteration and leaves a loadable checkpoint', async () => {
    const out = await tmp();
    const t = await Trainer.create({ data: small, mode: 'paired', out, size: 16, config: { ...tiny, mode: 'sections', sections: 3 }, trainer: settings });
    const ac = new AbortController();
    const r = await t.train({ iterations: 50, signal: ac.signal, onProgress: (p) => p.iteration === 1 && ac.abort() });
    t.dispose();
    expect(r).toMatchObject({ iteration: 1, aborted: true });
    const ck = await loadCheckpoint(join(out, 'checkpoint'));
    expect(ck.training?.state.iteration).toBe(1);
    ck.generator.dispose();
    const g = await loadModel(join(out, 'checkpoint'));
    expect(g.config.mode).toBe('sections');
    g.dispose();
  });

  it('2d mode: one image per plane, a slice critic per axis, finite losses', async () => {
    const out = await tmp();
    const img = (z: number): Volume => ({ shape: [1, 48, 48], data: berea.data.slice(z * 48 * 48, (z + 1) * 48 * 48), labels: berea.labels });
    const t = await Trainer.create({ data: [img(0), img(10), img(20)], mode: '2d', out, size: 16, config: tiny, trainer: settings });
    expect(Object.keys(t.critics).sort()).toEqual(['x', 'y', 'z']);
    const r = await t.train({ iterations: 2 });
    t.dispose();
    expect(r.iteration).toBe(2);
    const lines = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const val = lines.filter((l) => l.type === 'val').at(-1);
    expect(Number.isFinite(val.metrics.s2Rmse_xz)).toBe(true);
    expect(lines.filter((l) => l.type === 'train').every((l) => Number.isFinite(l.d) && Number.isFinite(l.g))).toBe(true);
  });

  it('sections mode with the SSIM term: finite losses, the SSIM of the step reported and in [0, 1]', async () => {
    const t = await Trainer.create({ data: small, mode: 'paired', out: await tmp(), size: 16, config: { ...tiny, mode: 'sections', sections: 3 }, trainer: { ...settings, ssimWeight: 2, advStartIterations: 100 } });
    for (let i = 0; i < 2; i++) {
      const { losses } = await t.step();
      expect(Number.isFinite(losses.g)).toBe(true);
      expect(losses.ssim).toBeGreaterThan(0);
      expect(losses.ssim).toBeLessThan(1);
    }
    t.dispose();
  });

  it('ramps the adversarial weight in after the warm-up', async () => {
    const t = await Trainer.create({ data: small, mode: 'paired', out: await tmp(), size: 16, config: { ...tiny, loss: { advWeight: 0.2 } }, trainer: { advStartIterations: 10, advRampIterations: 10 } });
    expect([0, 9, 10, 14, 19, 100].map((i) => +t.advWeightAt(i).toFixed(6))).toEqual([0, 0, 0.02, 0.1, 0.2, 0.2]);
    t.dispose();
  });

  it('bad input: typed errors', async () => {
    const out = await tmp();
    await expect(Trainer.create({ data: small, mode: 'x' as never, out })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(Trainer.create({ data: '/nonexistent/vol.tif', mode: 'paired', out })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(Trainer.create({ data: small, mode: 'paired', out, size: 32, config: tiny })).rejects.toThrow(/too small|smaller/);
    await expect(Trainer.create({ data: small, mode: 'paired', out, size: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(Trainer.create({ data: [small, small], mode: '2d', out, size: 16 })).rejects.toThrow(/2D images|1 image/);
    await expect(Trainer.resume(await tmp())).rejects.toThrow(/no checkpoint/);
    const t = await Trainer.create({ data: small, mode: 'paired', out, size: 16, config: tiny });
    await expect(t.train({ iterations: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(t.train({ iterations: Number.NaN })).rejects.toBeInstanceOf(InvalidArgumentError);
    t.dispose();
  });
});
