/** Label rules, thresholds, volumeInfo and the bundled sample data. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import {
  labelsFromGrey,
  otsuThreshold,
  readImage,
  readVolume,
  sampleDataDir,
  sampleDataPath,
  volumeInfo,
  type GreyVolume,
} from '../../src/io/index.js';
import { expectSame, npyBytes, rejectsWith, ROOT, shared } from './helpers.js';

describe('label rule', () => {
  it('16 distinct integers are labels, 17 are grey unless maxLabels allows them', async () => {
    const make = (k: number): Uint8Array => npyBytes('|u1', [1, 40], new Uint8Array(40).map((_, i) => (i % k) * 3));
    expect((await readImage(make(16))).labels).toEqual(Array.from({ length: 16 }, (_, i) => i * 3));
    await rejectsWith(readImage(make(17)), Error, 'ERR_FORMAT', /more than 16 distinct values/);
    expect((await readImage(make(17), { maxLabels: 17 })).labels!.length).toBe(17);
  });

  it('float files with integer values are labels; fractional values are grey', async () => {
    const f4 = (vals: number[]): Uint8Array => npyBytes('<f4', [1, vals.length], new Uint8Array(new Float32Array(vals).buffer));
    const v = await readImage(f4([2, 0, 2, 1]));
    expect(v.labels).toEqual([0, 1, 2]);
    expect(Array.from(v.data)).toEqual([2, 0, 2, 1]);
    expect(v.sourceDtype).toBe('float32');
    await rejectsWith(readImage(f4([0, 0.5])), Error, 'ERR_FORMAT', /non-integer/);
    const nan = await readImage(f4([0, Number.NaN]), { raw: true });
    expect(Number.isNaN(nan.data[1])).toBe(true);
    await rejectsWith(readImage(f4([0, Number.NaN]), { threshold: 0.5 }), Error, 'ERR_FORMAT', /NaN/);
  });
});

describe('thresholds', () => {
  it('Otsu splits two clusters between them (one bin per integer value)', () => {
    const data = new Uint8Array([10, 12, 11, 10, 200, 205, 199, 201, 10]);
    const t = otsuThreshold(data);
    expect(t).toBeGreaterThanOrEqual(12);
    expect(t).toBeLessThan(199);
    expect(otsuThreshold(new Uint8Array([7, 7, 7]))).toBe(7);
    // 3 values: {0: 5, 1: 1, 10: 4} -> best split is between 1 and 10
    expect(otsuThreshold(new Uint16Array([0, 0, 0, 0, 0, 1, 10, 10, 10, 10]))).toBe(1);
    const f = new Float32Array([0.1, 0.12, 0.11, 0.9, 0.95]);
    const tf = otsuThreshold(f);
    expect(tf).toBeGreaterThan(0.12);
    expect(tf).toBeLessThan(0.9);
  });

  it('labelsFromGrey binarises or labels a grey volume without modifying it', () => {
    const grey: GreyVolume = { shape: [1, 2, 3], data: new Uint16Array([5, 900, 5, 900, 5, 5]), sourceDtype: 'uint16' };
    const copy = grey.data.slice();
    const l = labelsFromGrey(grey);
    expect(l.labels).toEqual([5, 900]);
    expect(Array.from(l.data)).toEqual([0, 1, 0, 1, 0, 0]);
    const b = labelsFromGrey(grey, { threshold: 100 });
    expect(b.threshold).toBe(100);
    expect(b.labels).toBeUndefined();
    expect(Array.from(b.data)).toEqual([0, 1, 0, 1, 0, 0]);
    expectSame(grey.data, copy);
    expect(() => labelsFromGrey({ ...grey, shape: [1, 2, 2] })).toThrow(InvalidArgumentError);
  });

  it('a fixed threshold on a real micrograph matches counting by hand', async () => {
    const g = await readImage(shared('micrographs/seg_0.tif'), { raw: true });
    const v = await readImage(shared('micrographs/seg_0.tif'), { threshold: 120 });
    let above = 0;
    for (const x of g.data) if (x > 120) above++;
    expect(volumeInfo(v).phaseFractions[1]).toBeCloseTo(above / g.data.length, 12);
  });
});

describe('volumeInfo', () => {
  it('reports shape, labels, fractions and the source dtype', async () => {
    const info = volumeInfo(await readVolume(shared('nmc/nmc_sections7.tif')));
    expect(info.shape).toEqual([7, 64, 64]);
    expect(info.voxels).toBe(7 * 64 * 64);
    expect(info.labels).toEqual([0, 1, 2]);
    expect(info.sourceDtype).toBe('uint8');
    expect(info.sourceFormat).toBe('tiff');
    expect(info.phaseFractions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // phases listed in labels but absent from the data still get a (zero) fraction
    const z = volumeInfo({ shape: [1, 1, 2], data: new Uint8Array([0, 0]), labels: [0, 9] });
    expect(z.phaseFractions).toEqual([1, 0]);
  });
});

describe('bundled sample data', () => {
  it('finds data/ at the package root and the files are the shared originals', async () => {
    expect(await sampleDataDir()).toBe(join(ROOT, 'data'));
    for (const [name, src] of [
      ['berea_slice64.png', 'berea/berea_slice64.png'],
      ['ketton_slice64.png', 'ketton/ketton_slice64.png'],
      ['nmc_sections7.tif', 'nmc/nmc_sections7.tif'],
      ['berea_crop48.tif', 'berea/berea_crop48.tif'],
    ]) {
      const p = await sampleDataPath(name);
      expect(Buffer.compare(readFileSync(p), readFileSync(shared(src)))).toBe(0);
      await readVolume(p);
    }
    expect(existsSync(join(ROOT, 'data/README.md'))).toBe(true);
  });

  it('rejects unknown names and paths', async () => {
    await rejectsWith(sampleDataPath('nope.tif'), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /available: .*berea_crop48\.tif/);
    await rejectsWith(sampleDataPath('../package.json'), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
  });
});
