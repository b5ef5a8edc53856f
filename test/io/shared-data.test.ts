/**
 * Reads every file of ../shared/data and checks what its README states (shapes, values, phase fractions), plus
 * consistency between files cut from one another and agreement with an independent TIFF decoder (image-js `tiff`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { decode as referenceTiffDecode } from 'tiff';
import { beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../src/core/errors.js';
import { labelsFromGrey, readImage, readVolume, volumeInfo, type Volume } from '../../src/io/index.js';
import { fractions, rejectsWith, shared } from './helpers.js';

/** Python's round (half to even), which the README's slice formula uses. */
const pyRound = (x: number): number => (Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x));

describe('Berea 400^3 (read once)', () => {
  let berea: Volume;
  beforeAll(async () => {
    berea = await readVolume(shared('berea/berea.tif'));
  });

  it('has the documented shape, values and porosity', () => {
    expect(berea.shape).toEqual([400, 400, 400]);
    expect(berea.labels).toEqual([0, 255]);
    expect(berea.sourceDtype).toBe('uint8');
    expect(berea.sourceFormat).toBe('tiff');
    const info = volumeInfo(berea);
    expect(info.phaseFractions[0]).toBeCloseTo(0.196, 3);
    expect(Math.abs(info.phaseFractions[0] - 0.196)).toBeLessThan(0.001);
  });

  it('berea_crop48.tif is berea[10:58, 10:58, 10:58]', async () => {
    const crop = await readVolume(shared('berea/berea_crop48.tif'));
    expect(crop.shape).toEqual([48, 48, 48]);
    expect(crop.labels).toEqual([0, 255]);
    let diff = 0;
    for (let z = 0; z < 48; z++)
      for (let y = 0; y < 48; y++)
        for (let x = 0; x < 48; x++) {
          if (crop.data[(z * 48 + y) * 48 + x] !== berea.data[((z + 10) * 400 + y + 10) * 400 + x + 10]) diff++;
        }
    expect(diff).toBe(0);
  });
});

describe('other volumes', () => {
  it('Ketton train half: 128x256x256, {0,255}, porosity ~0.124', async () => {
    const v = await readVolume(shared('ketton/ketton_train.tif'));
    expect(v.shape).toEqual([128, 256, 256]);
    expect(v.labels).toEqual([0, 255]);
    expect(Math.abs(fractions(v.data, 2)[0] - 0.124)).toBeLessThan(0.005);
  });

  it('NMC train half: 125x301x301, phases {0,1,2} ~0.41/0.50/0.10; sections7 are its slices', async () => {
    const v = await readVolume(shared('nmc/nmc_train.tif'));
    expect(v.shape).toEqual([125, 301, 301]);
    expect(v.labels).toEqual([0, 1, 2]);
    const f = fractions(v.data, 3);
    expect(Math.abs(f[0] - 0.41)).toBeLessThan(0.01);
    expect(Math.abs(f[1] - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(f[2] - 0.1)).toBeLessThan(0.01);
    const s = await readVolume(shared('nmc/nmc_sections7.tif'));
    expect(s.shape).toEqual([7, 64, 64]);
    expect(s.labels).toEqual([0, 1, 2]);
    // README: slices 20 + round(i * 63 / 6); found at rows/columns 100..163.
    let diff = 0;
    for (let i = 0; i < 7; i++) {
      const z = 20 + pyRound((i * 63) / 6);
      for (let y = 0; y < 64; y++)
        for (let x = 0; x < 64; x++) {
          if (s.data[(i * 64 + y) * 64 + x] !== v.data[(z * 301 + 100 + y) * 301 + 100 + x]) diff++;
        }
    }
    expect(diff).toBe(0);
  });

  it('seg_stack_100: {0,127,254} ~0.375/0.238/0.387', async () => {
    const v = await readVolume(shared('multiphase/seg_stack_100.tiff'));
    expect(v.shape).toEqual([100, 100, 100]);
    expect(v.labels).toEqual([0, 127, 254]);
    const f = fractions(v.data, 3);
    [0.375, 0.238, 0.387].forEach((e, i) => expect(Math.abs(f[i] - e)).toBeLessThan(0.002));
  });

  it('electrode_generated_256 (compression 32946): {0,85,170} ~0.45/0.40/0.15', async () => {
    const v = await readVolume(shared('multiphase/electrode_generated_256.tiff'));
    expect(v.shape).toEqual([256, 256, 256]);
    expect(v.labels).toEqual([0, 85, 170]);
    const f = fractions(v.data, 3);
    [0.45, 0.4, 0.15].forEach((e, i) => expect(Math.abs(f[i] - e)).toBeLessThan(0.005));
  });
});

describe('2D images', () => {
  it('slice PNGs are 64x64 {0,255}', async () => {
    for (const p of ['berea/berea_slice64.png', 'ketton/ketton_slice64.png']) {
      const v = await readImage(shared(p));
      expect(v.shape).toEqual([1, 64, 64]);
      expect(v.labels).toEqual([0, 255]);
      expect(v.sourceFormat).toBe('png');
    }
  });

  it('MCRpy npy micrographs: 2 phases, composite 3 phases {0,1,2}', async () => {
    const files = readdirSync(shared('mcrpy')).filter((f) => f.endsWith('.npy'));
    expect(files.length).toBe(15);
    for (const f of files) {
      const v = await readImage(shared(`mcrpy/${f}`));
      expect(v.shape).toEqual(f.endsWith('_s.npy') ? [1, 64, 64] : [1, 256, 256]);
      expect(v.sourceFormat).toBe('npy');
      expect(v.labels!.length).toBe(f.startsWith('composite') ? 3 : 2);
      if (f.startsWith('composite')) expect(v.labels).toEqual([0, 1, 2]);
    }
  });

  it('binary and 3-phase segmented micrographs', async () => {
    const ag = await readImage(shared('micrographs/testPorousAg.tif'));
    expect(ag.shape).toEqual([1, 725, 725]);
    expect(ag.labels!.length).toBe(2);
    const f = fractions(ag.data, 2);
    expect(Math.abs(f[0] - 0.28)).toBeLessThan(0.01);
    const foam = await readImage(shared('micrographs/nano_foam.tif'));
    expect(foam.shape).toEqual([1, 831, 846]);
    expect(foam.labels!.length).toBe(2);
    expect((await readImage(shared('micrographs/testSnBi.tif'))).shape).toEqual([1, 597, 597]);
    expect((await readImage(shared('micrographs/default_2D.tiff'))).labels).toEqual([85, 170, 255]);
    const gt = await readImage(shared('micrographs/seg_0_ground_truth.tif'));
    expect(gt.shape).toEqual([1, 512, 512]);
    expect(gt.labels!.length).toBe(3);
  });

  it('raw greyscale micrographs need threshold or raw mode', async () => {
    const cases: [string, number[]][] = [
      ['micrographs/SUS_XY.png', [1, 725, 725]],
      ['micrographs/SUS_XZ.png', [1, 725, 725]],
      ['micrographs/SUS_YZ90R.png', [1, 725, 725]],
      ['micrographs/2_phase.tif', [1, 750, 750]],
      ['micrographs/3_phase.tif', [1, 751, 751]],
      ['micrographs/seg_0.tif', [1, 512, 512]],
      ['micrographs/cast_iron_alloy.jpg', [1, 422, 800]],
    ];
    for (const [p, shape] of cases) {
      await rejectsWith(readImage(shared(p)), FormatError, 'ERR_FORMAT', /threshold/);
      const g = await readImage(shared(p), { raw: true });
      expect(g.shape).toEqual(shape);
      expect(g.data).toBeInstanceOf(Uint8Array);
      const b = labelsFromGrey(g, { threshold: 'otsu' });
      expect(b.shape).toEqual(shape);
      expect(typeof b.threshold).toBe('number');
      const f = fractions(b.data, 2);
      expect(f[0]).toBeGreaterThan(0.05); // Otsu splits these images into two real phases
      expect(f[1]).toBeGreaterThan(0.05);
    }
  });
});

describe('agreement with an independent TIFF decoder', () => {
  const files = [
    'berea/berea_crop48.tif',
    'nmc/nmc_sections7.tif',
    'multiphase/seg_stack_100.tiff',
    'micrographs/testPorousAg.tif',
    'micrographs/2_phase.tif',
    'micrographs/3_phase.tif',
    'micrographs/seg_0.tif',
    'micrographs/nano_foam.tif',
  ];
  it.each(files)('%s', async (p) => {
    const ref = referenceTiffDecode(readFileSync(shared(p)));
    const ours = await readVolume(shared(p), { raw: true });
    expect(ours.shape).toEqual([ref.length, ref[0].height, ref[0].width]);
    const plane = ref[0].width * ref[0].height;
    ref.forEach((page, z) => {
      expect(Buffer.compare(Buffer.from(ours.data.subarray(z * plane, (z + 1) * plane)), Buffer.from(page.data as Uint8Array))).toBe(0);
    });
  });
});
