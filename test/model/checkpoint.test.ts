/** safetensors and model/checkpoint directories: round trips, exact resume, and typed errors for bad files. */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../src/index.js';
import {
  Adam, Ema, Parameter, createCritic, createGenerator, decodeSafetensors, encodeSafetensors, loadCheckpoint, loadModel, prepareInputs,
  readSafetensors, resolveConfig, saveCheckpoint, saveModel, writeSafetensors,
} from '../../src/model/index.js';
import { tensor } from '../../src/index.js';

const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'microrecon-model-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const cfg = resolveConfig({
  mode: 'sections', sections: 3, size: 16, phases: 2, seed: 1,
  generator: { encoderChannels: [4, 8], decoderChannels: [3, 6], headChannels: 2, noiseChannels: 1, noise3dChannels: 1, cbamKernel: 3 },
  critic: { channels: [4, 8] },
});

describe('safetensors', () => {
  it('round trip with metadata; header padded to 8 bytes', () => {
    const t = new Map([['a.weight', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) }], ['b', { shape: [1], data: Float32Array.from([Math.PI]) }]]);
    const bytes = encodeSafetensors(t, { format: 'x' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ format: 'x' });
    expect(back.tensors.get('a.weight')).toEqual(t.get('a.weight'));
    expect(back.tensors.get('b')!.data[0]).toBeCloseTo(Math.PI, 6);
  });

  it('corrupt files are FormatErrors', () => {
    const good = encodeSafetensors({ w: { shape: [4], data: Float32Array.from([1, 2, 3, 4]) } });
    const n = Number(new DataView(good.buffer).getBigUint64(0, true));
    const header = (h: object) => {
      const j = new TextEncoder().encode(JSON.stringify(h));
      const out = new Uint8Array(8 + j.length + 16);
      new DataView(out.buffer).setBigUint64(0, BigInt(j.length), true);
      out.set(j, 8);
      return out;
    };
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['too short', good.slice(0, 5), /too short/],
      ['truncated data', good.slice(0, good.length - 3), /truncated|data/],
      ['header longer than the file', (() => { const b = good.slice(); new DataView(b.buffer).setBigUint64(0, BigInt(1e9), true); return b; })(), /header length/],
      ['not JSON', (() => { const b = good.slice(); b[8] = 0x7b; b[9] = 0x7b; return b; })(), /JSON/],
      ['dtype', header({ w: { dtype: 'F16', shape: [8], data_offsets: [0, 16] } }), /dtype/],
      ['size vs shape', header({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }), /needs 12/],
      ['overlap', header({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }), /overlap|hole|ends/],
      ['trailing bytes', header({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }), /after the last/],
    ];
    expect(n).toBeGreaterThan(0);
    for (const [what, bytes, re] of cases) {
      let err: unknown;
      try {
        decodeSafetensors(bytes, what);
      } catch (e) {
        err = e;
      }
      expect(err, what).toBeInstanceOf(FormatError);
      expect((err as Error).message, what).toMatch(re);
    }
  });

  it('files written atomically (no temp files left), missing files are FormatErrors', async () => {
    const d = await tmp();
    await writeSafetensors(join(d, 'a.safetensors'), { w: { shape: [2], data: Float32Array.from([1, 2]) } });
    await writeSafetensors(join(d, 'a.safetensors'), { w: { shape: [2], data: Float32Array.from([3, 4]) } });
    expect(await readdir(d)).toEqual(['a.safetensors']);
    expect([...(await readSafetensors(join(d, 'a.safetensors'))).tensors.get('w')!.data]).toEqual([3, 4]);
    await expect(readSafetensors(join(d, 'nope.safetensors'))).rejects.toBeInstanceOf(FormatError);
  });
});

describe('model directories', () => {
  it('saveModel / loadModel: identical outputs', async () => {
    const d = await tmp();
    const gen = createGenerator(cfg);
    await saveModel(d, gen);
    expect((await readdir(d)).sort()).toEqual(['config.json', 'model.safetensors']);
    const back = await loadModel(d);
    expect(back.config).toEqual(gen.config);
    const inputs = prepareInputs(cfg, [[0, 1, 2].map((k) => Uint8Array.from({ length: 256 }, (_, i) => ((i >> k) & 1)))]);
    const [a, b] = [await gen.predict(inputs, { noiseSeed: 3 }), await back.predict(inputs, { noiseSeed: 3 })];
    expect(await a.read()).toEqual(await b.read());
    gen.dispose();
    back.dispose();
  });

  it('missing, corrupt or mismatched weights and configs are FormatErrors', async () => {
    const gen = createGenerator(cfg);
    const d = await tmp();
    await expect(loadModel(d)).rejects.toThrow(/config.json: missing/);
    await saveModel(d, gen);
    // a config whose architecture does not match the weights
    const other = await tmp();
    await saveModel(other, gen);
    const c = JSON.parse(await readFile(join(other, 'config.json'), 'utf8'));
    c.generator.decoderChannels = [4, 6];
    await writeFile(join(other, 'config.json'), JSON.stringify(c));
    await expect(loadModel(other)).rejects.toThrow(/has shape .* the model needs/);
    // a weight that is missing / extra / non-finite
    const st = (await readSafetensors(join(d, 'model.safetensors'))).tensors;
    const edit = async (f: (m: typeof st) => void) => {
      const m = new Map([...st].map(([k, v]) => [k, { shape: v.shape, data: v.data.slice() }]));
      f(m);
      await writeSafetensors(join(other, 'model.safetensors'), m);
      await writeFile(join(other, 'config.json'), JSON.stringify(cfg));
      return loadModel(other);
    };
    await expect(edit((m) => m.delete('head.out.bias'))).rejects.toThrow(/missing tensor 'head.out.bias'/);
    await expect(edit((m) => m.set('extra', { shape: [1], data: new Float32Array(1) }))).rejects.toThrow(/unexpected tensor 'extra'/);
    await expect(edit((m) => (m.get('lift.0.bias')!.data[0] = NaN))).rejects.toThrow(/non-finite/);
    // truncated weights, bad JSON config, invalid config values
    const buf = await readFile(join(d, 'model.safetensors'));
    await writeFile(join(other, 'model.safetensors'), buf.subarray(0, buf.length - 10));
    await expect(loadModel(other)).rejects.toBeInstanceOf(FormatError);
    await writeFile(join(other, 'config.json'), '{"size": 16,');
    await expect(loadModel(other)).rejects.toThrow(/not valid JSON/);
    await writeFile(join(other, 'config.json'), JSON.stringify({ ...cfg, phases: 0 }));
    await expect(loadModel(other)).rejects.toBeInstanceOf(FormatError);
    gen.dispose();
  });

  it('training checkpoints resume exactly (raw weights, critics, Adam moments, EMA, state)', async () => {
    const d = await tmp();
    const gen = createGenerator(cfg), critic = createCritic(cfg);
    const opt = new Adam(critic, { lr: 1e-3 });
    for (const p of critic.parameters()) p.grad = tensor(Float32Array.from({ length: p.size }, (_, i) => Math.sin(i + p.size)), [...p.shape]);
    await opt.step();
    const ema = await Ema.of(gen, 0.5);
    await ema.update(gen);
    await saveCheckpoint(d, { generator: gen, ema, critics: { d3: critic }, optimizers: { critic: opt }, state: { iteration: 7 } });
    expect((await readdir(d)).sort()).toEqual(['config.json', 'model.safetensors', 'training.json', 'training.safetensors']);

    const { generator, training, config } = await loadCheckpoint(d);
    expect(config).toEqual(cfg);
    expect(training!.state).toEqual({ iteration: 7 });
    const critic2 = createCritic(cfg, { seed: 99 });
    const opt2 = new Adam(critic2, { lr: 1e-3 });
    const ema2 = await Ema.of(generator, 0.5);
    training!.restore({ critics: { d3: critic2 }, optimizers: { critic: opt2 }, ema: ema2 });
    expect(await generator.stateDict()).toEqual(await gen.stateDict());
    expect(await critic2.stateDict()).toEqual(await critic.stateDict());
    expect(opt2.stepCount).toBe(1);
    expect(opt2.state().m).toEqual(opt.state().m);
    expect(ema2.weights()).toEqual(ema.weights());
    expect(ema2.updates).toBe(1);
    // the model file holds the EMA (inference) weights
    const inf = await loadModel(d);
    expect(await inf.stateDict()).toEqual(ema.weights());
    expect(() => training!.restore({ critics: { x: critic2 } })).toThrow(/no critic named 'x'/);

    // files from different saves are detected
    const j = JSON.parse(await readFile(join(d, 'training.json'), 'utf8'));
    await writeFile(join(d, 'training.json'), JSON.stringify({ ...j, id: 'other' }));
    await expect(loadCheckpoint(d)).rejects.toThrow(/different saves/);
    [gen, critic, critic2, generator, inf].forEach((m) => m.dispose());
  });

  it('a parameter refuses a value of another shape', () => {
    const p = new Parameter('p', tensor(new Float32Array(2), [2]));
    expect(() => p.assign(tensor(new Float32Array(3), [3]))).toThrow(/cannot assign/);
    p.dispose();
  });
});
