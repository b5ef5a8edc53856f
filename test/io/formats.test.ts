/** PNG, JPEG, NPY and MetaImage: reading, writing and round trips. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeVolume, readImage, readVolume, writeVolume, type Volume } from '../../src/io/index.js';
import { expectSame, npyBytes, shared, tempDir } from './helpers.js';

const dir = tempDir();

function pattern(shape: [number, number, number], phases: number): Uint8Array {
  return new Uint8Array(shape[0] * shape[1] * shape[2]).map((_, i) => (i * 2654435761) % 7919 % phases);
}

describe('PNG', () => {
  it('round trips 8-bit labels and keeps the values (berea slice written back is identical in pixels)', async () => {
    const src = await readImage(shared('berea/berea_slice64.png'));
    const p = join(dir, 'slice.png');
    await writeVolume(p, src);
    const back = await readImage(p);
    expect(back.labels).toEqual([0, 255]);
    expectSame(back.data, src.data);
    const raw = await readImage(p, { raw: true });
    expect(Array.from(new Set(raw.data)).sort((a, b) => a - b)).toEqual([0, 255]);
  });

  it('writes 16-bit when labels need it, and refuses stacks', async () => {
    const shape: [number, number, number] = [1, 33, 47];
    const vol: Volume = { shape, data: pattern(shape, 3), labels: [0, 300, 65535] };
    const bytes = encodeVolume(vol, { format: 'png' });
    const g = await readImage(bytes, { raw: true });
    expect(g.sourceDtype).toBe('uint16');
    expect(g.data).toBeInstanceOf(Uint16Array);
    const back = await readImage(bytes);
    expect(back.labels).toEqual([0, 300, 65535]);
    expectSame(back.data, vol.data);
    expect(() => encodeVolume({ shape: [2, 4, 4], data: new Uint8Array(32) }, { format: 'png' })).toThrow(/one slice/);
    expect(() => encodeVolume(vol, { format: 'png', dtype: 'float32' })).toThrow(/cannot store dtype float32/);
  });
});

describe('JPEG', () => {
  it('reads colour as luminance, from a path or bytes', async () => {
    const bytes = readFileSync(shared('micrographs/cast_iron_alloy.jpg'));
    const a = await readImage(shared('micrographs/cast_iron_alloy.jpg'), { raw: true });
    const b = await readImage(new Uint8Array(bytes), { raw: true });
    expect(a.shape).toEqual([1, 422, 800]);
    expect(a.sourceFormat).toBe('jpeg');
    expectSame(b.data, a.data);
    let sum = 0;
    for (const v of a.data) sum += v;
    const mean = sum / a.data.length;
    expect(mean).toBeGreaterThan(20);
    expect(mean).toBeLessThan(235);
  });

  it('is not a write format', async () => {
    await expect(writeVolume(join(dir, 'x.jpg'), { shape: [1, 2, 2], data: new Uint8Array(4) })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });
});

describe('NPY', () => {
  it('writes byte-identical copies of numpy files', async () => {
    for (const f of ['alloy_resized_s.npy', 'composite_resized.npy']) {
      const orig = readFileSync(shared(`mcrpy/${f}`));
      const p = join(dir, f);
      await writeVolume(p, await readImage(shared(`mcrpy/${f}`)));
      expect(Buffer.compare(readFileSync(p), orig)).toBe(0);
    }
  });

  it.each(['uint8', 'uint16', 'float32', 'bool'] as const)('round trips dtype %s in 3D', async (dtype) => {
    const shape: [number, number, number] = [3, 5, 7];
    const labels = dtype === 'bool' ? [0, 1] : dtype === 'uint8' ? [0, 255] : dtype === 'uint16' ? [7, 60000] : [-1, 20_000_000];
    const vol: Volume = { shape, data: pattern(shape, 2), labels };
    const p = join(dir, `v-${dtype}.npy`);
    await writeVolume(p, vol, { dtype });
    const raw = await readVolume(p, { raw: true });
    expect(raw.sourceDtype).toBe(dtype);
    const back = await readVolume(p);
    expect(back.shape).toEqual(shape);
    expect(back.labels).toEqual(labels);
    expectSame(back.data, vol.data);
    // and the file's dtype is kept by default when written again
    const again = join(dir, `v-${dtype}-again.npy`);
    await writeVolume(again, back);
    expect(Buffer.compare(readFileSync(again), readFileSync(p))).toBe(0);
  });

  it('reads big-endian, signed, 64-bit, version 2 and Fortran-ordered arrays', async () => {
    const be = Buffer.alloc(6 * 2);
    [0, 1000, 0, 1000, 1000, -5].forEach((v, i) => be.writeInt16BE(v, i * 2));
    const a = await readImage(npyBytes('>i2', [2, 3], be), { raw: true });
    expect(a.sourceDtype).toBe('int16');
    expect(Array.from(a.data)).toEqual([0, 1000, 0, 1000, 1000, -5]);
    const lbl = await readImage(npyBytes('>i2', [2, 3], be));
    expect(lbl.labels).toEqual([-5, 0, 1000]);

    const i64 = Buffer.alloc(4 * 8);
    [3, 1, 4, 1].forEach((v, i) => i64.writeBigInt64LE(BigInt(v), i * 8));
    const b = await readImage(npyBytes('<i8', [2, 2], i64, { version: 2 }));
    expect(b.sourceDtype).toBe('int64');
    expect(b.labels).toEqual([1, 3, 4]);
    expect(Array.from(b.data)).toEqual([1, 0, 2, 0]);

    // Fortran order: memory holds x fastest-last; C-order value at (z, y, x) = 100z + 10y + x.
    const shape = [2, 3, 4];
    const f = Buffer.alloc(24);
    for (let z = 0; z < 2; z++) for (let y = 0; y < 3; y++) for (let x = 0; x < 4; x++) f[z + 2 * (y + 3 * x)] = 100 * z + 10 * y + x;
    const c = await readVolume(npyBytes('|u1', shape, f, { fortran: true }), { raw: true });
    expect(Array.from(c.data)).toEqual(Array.from({ length: 24 }, (_, i) => 100 * Math.floor(i / 12) + 10 * Math.floor((i % 12) / 4) + (i % 4)));

    const f8 = Buffer.alloc(3 * 8);
    [0.5, 0.25, 0.5].forEach((v, i) => f8.writeDoubleLE(v, i * 8));
    const d = await readImage(npyBytes('<f8', [1, 3], f8), { raw: true });
    expect(d.data).toBeInstanceOf(Float32Array);
    expect(Array.from(d.data)).toEqual([0.5, 0.25, 0.5]);
    await expect(readImage(npyBytes('<f8', [1, 3], f8))).rejects.toMatchObject({ code: 'ERR_FORMAT' });
  });

  it('keeps a 2D array 2D and a 3D array 3D', async () => {
    const two = encodeVolume({ shape: [1, 2, 3], data: new Uint8Array(6) }, { format: 'npy' });
    expect(Buffer.from(two).toString('latin1')).toContain("'shape': (2, 3)");
    const three = encodeVolume({ shape: [4, 2, 3], data: new Uint8Array(24) }, { format: 'npy' });
    expect(Buffer.from(three).toString('latin1')).toContain("'shape': (4, 2, 3)");
    expect(two.length % 64).toBe(6 % 64); // header padded to 64 bytes, then the data
  });
});

describe('MetaImage', () => {
  const shape: [number, number, number] = [4, 6, 9];
  const vol: Volume = { shape, data: pattern(shape, 3), labels: [0, 85, 170], spacing: [2, 0.5, 0.25] };

  it.each([
    ['uint8', 'none'],
    ['uint16', 'none'],
    ['float32', 'deflate'],
    ['uint8', 'deflate'],
  ] as const)('.mhd + .raw round trip, %s, compression %s', async (dtype, compression) => {
    const p = join(dir, `m-${dtype}-${compression}.mhd`);
    await writeVolume(p, vol, { dtype, compression });
    const header = readFileSync(p, 'utf8');
    expect(header).toContain('DimSize = 9 6 4');
    expect(header).toContain('ElementSpacing = 0.25 0.5 2');
    expect(header).toMatch(new RegExp(`ElementDataFile = m-${dtype}-${compression}\\.raw\\n$`));
    if (compression === 'none') {
      const bytesPer = dtype === 'uint8' ? 1 : dtype === 'uint16' ? 2 : 4;
      expect(readFileSync(p.replace(/mhd$/, 'raw')).length).toBe(4 * 6 * 9 * bytesPer);
    }
    const back = await readVolume(p);
    expect(back.sourceFormat).toBe('mhd');
    expect(back.sourceDtype).toBe(dtype);
    expect(back.shape).toEqual(shape);
    expect(back.spacing).toEqual([2, 0.5, 0.25]);
    expect(back.labels).toEqual([0, 85, 170]);
    expectSame(back.data, vol.data);
  });

  it('.mha keeps the data inline and reads from bytes', async () => {
    const p = join(dir, 'm.mha');
    await writeVolume(p, vol);
    const back = await readVolume(new Uint8Array(readFileSync(p)));
    expect(back.sourceFormat).toBe('mha');
    expectSame(back.data, vol.data);
  });

  it('reads headers written by other tools: big-endian MET_SHORT, HeaderSize, 2D, ElementSize', async () => {
    const raw = Buffer.alloc(16 + 2 * 3 * 2);
    [5, -7, 5, 5, -7, 300].forEach((v, i) => raw.writeInt16BE(v, 16 + i * 2));
    writeFileSync(join(dir, 'other.dat'), raw);
    writeFileSync(
      join(dir, 'other.mhd'),
      'ObjectType = Image\r\nNDims = 2\r\nBinaryData = True\r\nBinaryDataByteOrderMSB = True\r\n' +
        'ElementSize = 0.1 0.2\r\nDimSize = 3 2\r\nHeaderSize = 16\r\nElementType = MET_SHORT\r\nElementDataFile = other.dat\r\n',
    );
    const v = await readImage(join(dir, 'other.mhd'));
    expect(v.shape).toEqual([1, 2, 3]);
    expect(v.sourceDtype).toBe('int16');
    expect(v.labels).toEqual([-7, 5, 300]);
    expect(Array.from(v.data)).toEqual([1, 0, 1, 1, 0, 2]);
    expect(v.spacing).toEqual([1, 0.2, 0.1]);
  });
});
