/**
 * Every shipped model gives the same labels on webgpu as on cpu (same seed): at least 99.9 % equal voxels.
 * CI runs each model at 32³ (one tile; SwiftShader emulates the GPU on the CPU, ~3-10 s per model here);
 * `node bench/webgpu.mjs` runs the 64³ comparison and its figures are in the README.
 */
import { describe, expect, it } from 'vitest';
import { builtinModels, readImage, readVolume, Reconstructor, sampleDataPath, type Volume } from '../../src/index.js';
import { WEBGPU, WEBGPU_REASON } from './helpers.js';

const SIZE = 32;
const models = await builtinModels();

/** An input the model accepts: its own sample where the package ships one, else a two-phase slice. */
async function inputFor(rec: Reconstructor): Promise<Volume> {
  if (rec.info.mode === 'sections') return readVolume(await sampleDataPath('nmc_sections7.tif'));
  const name = rec.info.name.includes('ketton') ? 'ketton_slice64.png' : 'berea_slice64.png';
  return readImage(await sampleDataPath(name));
}

describe.skipIf(!WEBGPU)('shipped models: webgpu vs cpu labels', () => {
  it('finds the shipped models', () => expect(models.length).toBeGreaterThan(0));
  for (const m of models) {
    it(`${m}: >= 99.9 % equal labels at ${SIZE}³`, async () => {
      const cpu = await Reconstructor.load(`builtin:${m}`, { backend: 'cpu' });
      const gpu = await Reconstructor.load(`builtin:${m}`, { backend: 'webgpu' });
      const input = await inputFor(cpu);
      const a = await cpu.reconstruct(input, { size: SIZE, seed: 11 });
      const b = await gpu.reconstruct(input, { size: SIZE, seed: 11 });
      let same = 0;
      for (let i = 0; i < a.data.length; i++) same += a.data[i] === b.data[i] ? 1 : 0;
      const fraction = same / a.data.length;
      console.log(`[webgpu] ${m} ${SIZE}³: ${(100 * fraction).toFixed(4)} % equal labels`);
      expect(fraction).toBeGreaterThanOrEqual(0.999);
      // the volume is not trivially uniform (an all-one-phase answer would agree by accident)
      expect(new Set(a.data).size).toBeGreaterThan(1);
      cpu.dispose();
      gpu.dispose();
    }, 300_000);
  }
});

if (!WEBGPU)
  describe('webgpu unavailable', () => {
    it.skip(`UNAVAILABLE: ${WEBGPU_REASON}`, () => {});
  });
