/**
 * TIFF decoding of libtiff-made fixtures (LZW, PackBits, deflate, predictors, tiles, big-endian, 16-bit, float,
 * RGB, planar, 1-bit; see fixtures/make-fixtures.sh) and write/read round trips.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeVolume, readImage, readVolume, writeVolume, type Volume } from '../../src/io/index.js';
import { BIT_SIZE, bitAt, F32_SHAPE, f32At, fill, NOISE_SHAPE, noiseAt, RGB_SIZE, rgbAt, U16_SHAPE, u16At } from './fixtures/patterns.js';
import { expectSame, fixture, shared, tempDir } from './helpers.js';

describe('decoding libtiff fixtures', () => {
  let nmc: Volume;
  let berea48: Volume;
  beforeAll(async () => {
    nmc = await readVolume(shared('nmc/nmc_sections7.tif'));
    berea48 = await readVolume(shared('berea/berea_crop48.tif'));
  });

  it.each([
    'nmc_lzw.tif',
    'nmc_lzw_pred.tif',
    'nmc_packbits.tif',
    'nmc_be_packbits.tif',
    'nmc_zip_pred.tif',
  ])('%s equals the uncompressed original', async (f) => {
    const v = await readVolume(fixture(f));
    expect(v.shape).toEqual(nmc.shape);
    expect(v.labels).toEqual(nmc.labels);
    expectSame(v.data, nmc.data);
  });

  it('tiled LZW with partial edge tiles equals the strip original', async () => {
    const v = await readVolume(fixture('berea48_tiled_lzw.tif'));
    expect(v.shape).toEqual([48, 48, 48]);
    expectSame(v.data, berea48.data);
  });

  it('LZW past 4096 codes (12-bit codes and clear codes) in one 60 kB strip', async () => {
    const g = await readVolume(fixture('noise_lzw.tif'), { raw: true });
    expect(g.shape).toEqual(NOISE_SHAPE);
    expectSame(g.data, fill((n) => new Uint8Array(n), NOISE_SHAPE, noiseAt));
  });

  const u16 = fill((n) => new Uint16Array(n), U16_SHAPE, u16At);
  it.each(['u16_lzw_pred.tif', 'u16_be_zip_pred.tif', 'u16_tiled_zip.tif'])('16-bit %s', async (f) => {
    const g = await readVolume(fixture(f), { raw: true });
    expect(g.shape).toEqual(U16_SHAPE);
    expect(g.sourceDtype).toBe('uint16');
    expect(g.data).toBeInstanceOf(Uint16Array);
    expectSame(g.data, u16);
  });

  const f32 = fill((n) => new Float32Array(n), F32_SHAPE, f32At);
  it.each(['f32_zip_fpred.tif', 'f32_be_lzw.tif'])('float32 (floating-point predictor; big-endian): %s', async (f) => {
    const g = await readVolume(fixture(f), { raw: true });
    expect(g.shape).toEqual(F32_SHAPE);
    expect(g.sourceDtype).toBe('float32');
    expectSame(g.data, f32);
  });

  it.each(['rgb_lzw.tif', 'rgb_planar_packbits.tif'])('RGB to grey by luminance: %s', async (f) => {
    const g = await readImage(fixture(f), { raw: true });
    const { width, height } = RGB_SIZE;
    expect(g.shape).toEqual([1, height, width]);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const [r, gr, b] = rgbAt(y, x);
        expect(g.data[y * width + x]).toBe(Math.round((r * 19595 + gr * 38470 + b * 7471) / 65536));
      }
  });

  it('1-bit (PackBits, width not a multiple of 8) reads as bool 0/1 stored values', async () => {
    const v = await readImage(fixture('bits_packbits.tif'));
    const { width, height } = BIT_SIZE;
    expect(v.sourceDtype).toBe('bool');
    expect(v.labels).toEqual([0, 1]);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) expect(v.data[y * width + x]).toBe(bitAt(y, x));
  });
});

describe('TIFF round trips', () => {
  const dir = tempDir();
  let nmc: Volume;
  beforeAll(async () => {
    nmc = await readVolume(shared('nmc/nmc_sections7.tif'));
  });

  it.each([
    ['none', undefined],
    ['deflate', undefined],
    ['deflate', 'uint16'],
    ['none', 'float32'],
    ['deflate', 'float32'],
  ] as const)('compression %s, dtype %s keeps values and labels', async (compression, dtype) => {
    const seg: Volume = { ...nmc, labels: [0, 127, 254] };
    const p = join(dir, `rt-${compression}-${dtype}.tif`);
    await writeVolume(p, seg, { compression, ...(dtype ? { dtype } : {}) });
    const raw = await readVolume(p, { raw: true });
    expect(raw.sourceDtype).toBe(dtype ?? 'uint8');
    for (let i = 0; i < seg.data.length; i++) {
      if (raw.data[i] !== seg.labels![seg.data[i]]) throw new Error(`voxel ${i}: ${raw.data[i]}`);
    }
    const back = await readVolume(p);
    expect(back.shape).toEqual(seg.shape);
    expect(back.labels).toEqual([0, 127, 254]);
    expectSame(back.data, seg.data);
  });

  it('a file read and written back is value-identical (Berea crop, deflate, labels {0,255})', async () => {
    const src = shared('berea/berea_crop48.tif');
    const p = join(dir, 'berea48.tif');
    await writeVolume(p, await readVolume(src));
    const a = await readVolume(src, { raw: true });
    const b = await readVolume(p, { raw: true });
    expectSame(b.data, a.data);
    expect(readFileSync(p).length).toBeLessThan(readFileSync(src).length * 2);
  });

  it('keeps spacing, label order and phases absent from the data', async () => {
    const data = new Uint8Array(2 * 3 * 4).map((_, i) => i % 2); // phase 2 never occurs
    const vol: Volume = { shape: [2, 3, 4], data, labels: [255, 0, 128], spacing: [2.5, 1, 1] };
    const back = await readVolume(encodeVolume(vol, { format: 'tiff' }));
    expect(back.labels).toEqual([255, 0, 128]);
    expect(back.spacing).toEqual([2.5, 1, 1]);
    expectSame(back.data, data);
  });

  it('writes multi-strip pages (rows over 64 KiB) and labels wider than a byte', async () => {
    const shape: [number, number, number] = [2, 300, 400];
    const data = new Uint8Array(shape[0] * shape[1] * shape[2]).map((_, i) => (i * 7) % 3);
    const vol: Volume = { shape, data, labels: [0, 1000, 65535] };
    const bytes = encodeVolume(vol, { format: 'tiff' });
    const raw = await readVolume(bytes, { raw: true });
    expect(raw.sourceDtype).toBe('uint16'); // chosen automatically: 65535 does not fit uint8
    const back = await readVolume(bytes);
    expect(back.labels).toEqual([0, 1000, 65535]);
    expectSame(back.data, data);
  });

  it('readImage picks one page of a stack, and refuses a stack without { page }', async () => {
    const page = await readImage(shared('nmc/nmc_sections7.tif'), { page: 3 });
    expect(page.shape).toEqual([1, 64, 64]);
    expectSame(page.data, nmc.data.subarray(3 * 4096, 4 * 4096));
    await expect(readImage(shared('nmc/nmc_sections7.tif'))).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(readImage(shared('nmc/nmc_sections7.tif'), { page: 7 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});
