/**
 * Bad input: every damaged, truncated, absurd or unsupported file must throw a typed error with the right code and
 * never come back as a silently wrong volume; bad arguments throw InvalidArgumentError; inputs are never modified.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FormatError, InvalidArgumentError, OutOfMemoryError } from '../../src/core/errors.js';
import { encodeVolume, readImage, readVolume, writeVolume, type Volume } from '../../src/io/index.js';
import { encodeTiff } from '../../src/io/tiff-write.js';
import { expectSame, fixture, npyBytes, rejectsWith, shared, tempDir } from './helpers.js';

const dir = tempDir();
const bytesOf = (p: string): Uint8Array => new Uint8Array(readFileSync(p));

/** Deterministic pseudo-random bytes. */
function noise(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** Sets an inline SHORT/LONG tag value in every IFD of a little-endian classic TIFF (a copy). */
function patchTag(src: Uint8Array, tag: number, value: number): Uint8Array {
  const b = src.slice();
  const v = new DataView(b.buffer);
  let at = v.getUint32(4, true);
  while (at) {
    const n = v.getUint16(at, true);
    for (let i = 0; i < n; i++) {
      const p = at + 2 + i * 12;
      if (v.getUint16(p, true) === tag) {
        if (v.getUint16(p + 2, true) === 3) v.setUint16(p + 8, value, true);
        else v.setUint32(p + 8, value, true);
      }
    }
    at = v.getUint32(at + 2 + n * 12, true);
  }
  return b;
}

/** A PNG chunk with a correct CRC. */
function chunk(type: string, body: Uint8Array): Uint8Array {
  const b = Buffer.alloc(12 + body.length);
  b.writeUInt32BE(body.length, 0);
  b.write(type, 4, 'latin1');
  b.set(body, 8);
  b.writeUInt32BE(crc32(b.subarray(4, 8 + body.length)), 8 + body.length);
  return b;
}

describe('damaged TIFF', () => {
  it('truncated anywhere: FormatError', async () => {
    for (const f of [shared('berea/berea_crop48.tif'), fixture('nmc_lzw.tif'), fixture('nmc_packbits.tif'), fixture('u16_tiled_zip.tif')]) {
      const b = bytesOf(f);
      for (const cut of [4, 8, 60, Math.floor(b.length / 3), Math.floor(b.length / 2), b.length - 20]) {
        await rejectsWith(readVolume(b.subarray(0, cut), { name: 'cut.tif', raw: true }), FormatError, 'ERR_FORMAT', /^cut\.tif: /);
      }
    }
  });

  it('flipped bits inside deflate data: FormatError (checksum or stream error)', async () => {
    const b = bytesOf(shared('berea/berea_crop48.tif'));
    const v = new DataView(b.buffer);
    const ifd = v.getUint32(4, true);
    const tag = (t: number): number => {
      for (let i = 0; i < v.getUint16(ifd, true); i++) {
        const p = ifd + 2 + i * 12;
        if (v.getUint16(p, true) === t) return v.getUint32(p + 8, true); // one strip per page: inline LONG
      }
      throw new Error(`tag ${t} not found`);
    };
    const [at, count] = [tag(273), tag(279)];
    for (const k of [2, Math.floor(count / 2), count - 2]) { // stream start, middle, Adler-32
      const bad = b.slice();
      bad[at + k] ^= 0x10;
      await rejectsWith(readVolume(bad), FormatError, 'ERR_FORMAT', /page 0, chunk 0/);
    }
  });

  it('unsupported compression and sample types are named', async () => {
    const b = bytesOf(shared('nmc/nmc_sections7.tif'));
    await rejectsWith(readVolume(patchTag(b, 259, 7)), FormatError, 'ERR_FORMAT', /compression JPEG/);
    await rejectsWith(readVolume(patchTag(b, 259, 50000)), FormatError, 'ERR_FORMAT', /Zstandard/);
    await rejectsWith(readVolume(patchTag(b, 258, 12)), FormatError, 'ERR_FORMAT', /bit depth 12/);
  });

  it('an IFD chain that loops: FormatError', async () => {
    const b = bytesOf(shared('nmc/nmc_sections7.tif'));
    const v = new DataView(b.buffer);
    const first = v.getUint32(4, true);
    const n = v.getUint16(first, true);
    v.setUint32(first + 2 + n * 12, first, true); // page 0 points to itself
    await rejectsWith(readVolume(b), FormatError, 'ERR_FORMAT', /loops/);
  });

  it('absurd dimensions: OutOfMemoryError before allocating', async () => {
    const b = bytesOf(shared('nmc/nmc_sections7.tif'));
    const huge = patchTag(patchTag(b, 256, 100000), 257, 100000);
    await rejectsWith(readVolume(huge), OutOfMemoryError, 'ERR_OUT_OF_MEMORY', /100000/);
    await rejectsWith(readVolume(shared('berea/berea_crop48.tif'), { maxVoxels: 1000 }), OutOfMemoryError, 'ERR_OUT_OF_MEMORY');
  });

  it('ImageJ hyperstacks that are not z stacks: FormatError; plain ImageJ stacks read', async () => {
    const data = new Uint8Array(7 * 4 * 5).map((_, i) => i % 2);
    const tiff = (description: string): Uint8Array => new Uint8Array(Buffer.concat(encodeTiff(data, [7, 4, 5], { compression: 'none', description })));
    await rejectsWith(readVolume(tiff('ImageJ=1.53t\nimages=7\nchannels=7\n')), FormatError, 'ERR_FORMAT', /hyperstack/);
    await rejectsWith(readVolume(tiff('ImageJ=1.53t\nimages=70\nslices=70\n')), FormatError, 'ERR_FORMAT', /4 GiB/);
    const ok = await readVolume(tiff('ImageJ=1.53t\nimages=7\nslices=7\nunit=micron\n'));
    expect(ok.shape).toEqual([7, 4, 5]);
    expectSame(ok.data, data);
  });

  it('pages of different sizes are not a volume', async () => {
    const b = bytesOf(shared('nmc/nmc_sections7.tif'));
    const v = new DataView(b.buffer);
    const first = v.getUint32(4, true);
    const second = v.getUint32(first + 2 + v.getUint16(first, true) * 12, true);
    for (let i = 0; i < v.getUint16(second, true); i++) {
      const p = second + 2 + i * 12;
      if (v.getUint16(p, true) === 256) v.setUint16(p + 8, 32, true);
    }
    await rejectsWith(readVolume(b), FormatError, 'ERR_FORMAT', /page 1/);
  });
});

describe('damaged PNG and JPEG', () => {
  const png = bytesOf(shared('berea/berea_slice64.png'));

  it('corrupted image data: FormatError (CRC, or checksum when the CRC was fixed up)', async () => {
    const idat = Buffer.from(png).indexOf('IDAT');
    const bad = png.slice();
    bad[idat + 10] ^= 0xff;
    await rejectsWith(readImage(bad), FormatError, 'ERR_FORMAT');
    // Same damage with a valid CRC: the zlib stream itself must be caught.
    const len = new DataView(png.buffer).getUint32(idat - 4);
    const body = bad.slice(idat + 4, idat + 4 + len);
    const fixed = Buffer.concat([png.subarray(0, idat - 4), chunk('IDAT', body), png.subarray(idat + 8 + len)]);
    await rejectsWith(readImage(new Uint8Array(fixed)), FormatError, 'ERR_FORMAT');
  });

  it('truncated: FormatError', async () => {
    for (const cut of [8, 20, 40, png.length - 12, png.length - 1]) {
      await rejectsWith(readImage(png.subarray(0, cut)), FormatError, 'ERR_FORMAT');
    }
    const jpg = bytesOf(shared('micrographs/cast_iron_alloy.jpg'));
    for (const cut of [3, 200, Math.floor(jpg.length / 2)]) {
      await rejectsWith(readImage(jpg.subarray(0, cut), { raw: true }), FormatError, 'ERR_FORMAT');
    }
  });

  it('a valid PNG whose data is too short: FormatError', async () => {
    // IHDR says 64x64 grey, but the (valid) zlib stream holds only 10 rows.
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(64, 0);
    ihdr.writeUInt32BE(64, 4);
    ihdr[8] = 8;
    const { deflateSync } = await import('node:zlib');
    const short = Buffer.concat([
      png.subarray(0, 8),
      chunk('IHDR', ihdr),
      chunk('IDAT', deflateSync(Buffer.alloc(10 * 65))),
      chunk('IEND', new Uint8Array(0)),
    ]);
    await rejectsWith(readImage(new Uint8Array(short)), FormatError, 'ERR_FORMAT', /truncated/);
  });

  it('absurd PNG and JPEG sizes: OutOfMemoryError', async () => {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(100000, 0);
    ihdr.writeUInt32BE(100000, 4);
    ihdr[8] = 8;
    const huge = Buffer.concat([png.subarray(0, 8), chunk('IHDR', ihdr), chunk('IEND', new Uint8Array(0))]);
    await rejectsWith(readImage(new Uint8Array(huge)), OutOfMemoryError, 'ERR_OUT_OF_MEMORY');
    const jpg = bytesOf(shared('micrographs/cast_iron_alloy.jpg'));
    const sof = Buffer.from(jpg).indexOf(Buffer.from([0xff, 0xc0]));
    const big = jpg.slice();
    big.set([0xff, 0xff, 0xff, 0xff], sof + 5);
    await rejectsWith(readImage(big, { raw: true }), OutOfMemoryError, 'ERR_OUT_OF_MEMORY');
  });
});

describe('damaged NPY', () => {
  const payload = new Uint8Array(12);
  it.each([
    ['no descr', npyBytes('|u1', [3, 4], payload).map((c, i, a) => (i > 10 && i < 18 && a[i] === 0x64 ? 0x78 : c)), /malformed NPY header/],
    ['complex dtype', npyBytes('<c8', [3, 4], new Uint8Array(96)), /unsupported NPY dtype/],
    ['structured dtype', npyBytes("[('a', '<u1')]", [3, 4], payload), /malformed|unsupported/],
    ['1-D', npyBytes('|u1', [12], payload), /1 dimensions/],
    ['4-D', npyBytes('|u1', [1, 1, 3, 4], payload), /4 dimensions/],
    ['short data', npyBytes('|u1', [3, 5], payload), /truncated/],
    ['long data', npyBytes('|u1', [2, 4], payload), /needs 8/],
    ['bad shape', npyBytes('|u1', [3, 4], payload).map((c, i, a) => (a[i] === 0x34 && i < 80 ? 0x78 : c)), /shape/],
  ] as [string, Uint8Array, RegExp][])('%s: FormatError', async (_, bytes, msg) => {
    await rejectsWith(readVolume(bytes), FormatError, 'ERR_FORMAT', msg);
  });

  it('header cut short or unknown version: FormatError', async () => {
    const good = npyBytes('|u1', [3, 4], payload);
    await rejectsWith(readVolume(good.subarray(0, 30)), FormatError, 'ERR_FORMAT', /truncated/);
    const v9 = good.slice();
    v9[6] = 9;
    await rejectsWith(readVolume(v9), FormatError, 'ERR_FORMAT', /version 9/);
  });

  it('absurd shape: OutOfMemoryError before allocating', async () => {
    await rejectsWith(readVolume(npyBytes('|u1', [100000, 100000, 100000], payload)), OutOfMemoryError, 'ERR_OUT_OF_MEMORY');
  });
});

describe('damaged MetaImage', () => {
  const header = (dims: string, file: string, extra = ''): string =>
    `ObjectType = Image\nNDims = 3\n${extra}DimSize = ${dims}\nElementType = MET_UCHAR\nElementDataFile = ${file}\n`;

  it('missing raw file: FormatError naming it', async () => {
    const p = join(dir, 'nodata.mhd');
    writeFileSync(p, header('4 4 4', 'nodata.raw'));
    await rejectsWith(readVolume(p), FormatError, 'ERR_FORMAT', /nodata\.raw/);
  });

  it('raw file of the wrong size: FormatError', async () => {
    writeFileSync(join(dir, 'short.raw'), new Uint8Array(63));
    writeFileSync(join(dir, 'short.mhd'), header('4 4 4', 'short.raw'));
    await rejectsWith(readVolume(join(dir, 'short.mhd')), FormatError, 'ERR_FORMAT', /63 bytes.*truncated/);
    writeFileSync(join(dir, 'long.raw'), new Uint8Array(65));
    writeFileSync(join(dir, 'long.mhd'), header('4 4 4', 'long.raw'));
    await rejectsWith(readVolume(join(dir, 'long.mhd')), FormatError, 'ERR_FORMAT', /65 bytes/);
  });

  it('external data from bytes, lists, bad fields, absurd size', async () => {
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
    await rejectsWith(readVolume(enc(header('4 4 4', 'x.raw'))), FormatError, 'ERR_FORMAT', /pass the \.mhd path/);
    await rejectsWith(readVolume(enc(header('4 4 4', 'LIST'))), FormatError, 'ERR_FORMAT', /not supported/);
    await rejectsWith(readVolume(enc(header('4 4', 'LOCAL'))), FormatError, 'ERR_FORMAT', /DimSize/);
    await rejectsWith(readVolume(enc(header('4 4 -4', 'LOCAL'))), FormatError, 'ERR_FORMAT', /dimension/);
    await rejectsWith(readVolume(enc(header('4 4 4', 'LOCAL', 'ElementNumberOfChannels = 3\n'))), FormatError, 'ERR_FORMAT', /channels/);
    await rejectsWith(readVolume(enc(header('4 4 4', 'LOCAL', 'CompressedData = True\n') + 'garbage')), FormatError, 'ERR_FORMAT');
    await rejectsWith(readVolume(enc(header('100000 100000 100000', 'LOCAL'))), OutOfMemoryError, 'ERR_OUT_OF_MEMORY');
  });
});

describe('wrong input', () => {
  it('empty file, random bytes, unknown formats: FormatError', async () => {
    const empty = join(dir, 'empty.tif');
    writeFileSync(empty, new Uint8Array(0));
    await rejectsWith(readVolume(empty), FormatError, 'ERR_FORMAT', /empty\.tif: file is empty/);
    await rejectsWith(readVolume(noise(5000)), FormatError, 'ERR_FORMAT', /unrecognised/);
    for (const magic of [[0x49, 0x49, 42, 0], [0x4d, 0x4d, 0, 42], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]]) {
      for (const seed of [1, 2, 3]) {
        const b = noise(3000, seed);
        b.set(magic);
        await rejectsWith(readVolume(b, { raw: true }), FormatError, 'ERR_FORMAT');
      }
    }
    const raw = join(dir, 'lonely.raw');
    writeFileSync(raw, noise(64));
    await rejectsWith(readVolume(raw), FormatError, 'ERR_FORMAT', /needs its \.mhd header/);
  });

  it('nonexistent path or a folder: InvalidArgumentError naming it', async () => {
    await rejectsWith(readVolume(join(dir, 'nope.tif')), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /nope\.tif: no such file/);
    await rejectsWith(readImage(dir), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /directory/);
    await rejectsWith(writeVolume(join(dir, 'no/such/dir/x.tif'), { shape: [1, 1, 1], data: new Uint8Array(1) }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
  });

  it('bad read arguments: InvalidArgumentError', async () => {
    const p = shared('berea/berea_slice64.png');
    await rejectsWith(readVolume(42 as unknown as string), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
    await rejectsWith(readVolume(p, { threshold: 'mean' as 'otsu' }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
    await rejectsWith(readVolume(p, { threshold: Number.NaN }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
    await rejectsWith(readVolume(p, { maxLabels: 0 }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
    await rejectsWith(readVolume(p, { maxVoxels: -1 }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
    await rejectsWith(readImage(p, { page: -1 }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
  });

  it('bad volumes and write options: InvalidArgumentError', async () => {
    const ok: Volume = { shape: [1, 2, 2], data: new Uint8Array([0, 1, 1, 0]), labels: [0, 255] };
    const bad: [Partial<Volume> | unknown, RegExp][] = [
      [{ ...ok, shape: [2, 2] }, /shape/],
      [{ ...ok, shape: [1, 2, 0] }, /shape/],
      [{ ...ok, shape: [1, 2, 2.5] }, /shape/],
      [{ ...ok, data: [0, 1, 1, 0] }, /Uint8Array/],
      [{ ...ok, data: new Uint16Array(4) }, /Uint8Array/],
      [{ ...ok, data: new Uint8Array(5) }, /5 elements/],
      [{ ...ok, labels: [0] }, /needs at least 2/],
      [{ ...ok, labels: [3, 3] }, /distinct/],
      [{ ...ok, labels: [0, 0.5] }, /integers/],
      [{ ...ok, spacing: [1, 1, -1] }, /spacing/],
      [{ ...ok, spacing: [1, 1] }, /spacing/],
      [null, /object/],
    ];
    for (const [vol, msg] of bad) {
      await rejectsWith(writeVolume(join(dir, 'bad.tif'), vol as Volume), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', msg);
    }
    const big: Volume = { ...ok, labels: [0, 300] };
    await rejectsWith(writeVolume(join(dir, 'b.tif'), big, { dtype: 'uint8' }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /300/);
    await rejectsWith(writeVolume(join(dir, 'b.npy'), ok, { dtype: 'bool' }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
    await rejectsWith(writeVolume(join(dir, 'b.bmp'), ok), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', /extension/);
    await rejectsWith(writeVolume(join(dir, 'b.tif'), ok, { compression: 'lzw' as 'none' }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
    await rejectsWith(writeVolume(join(dir, 'b.npy'), ok, { compression: 'deflate' }), InvalidArgumentError, 'ERR_INVALID_ARGUMENT');
    expect(() => encodeVolume(ok, { format: 'mhd' })).toThrow(InvalidArgumentError);
  });

  it('never modifies the caller’s bytes or volume', async () => {
    for (const f of [fixture('nmc_lzw_pred.tif'), fixture('u16_be_zip_pred.tif'), shared('mcrpy/alloy_resized_s.npy'), shared('berea/berea_slice64.png')]) {
      const b = bytesOf(f);
      const copy = b.slice();
      await readVolume(b, { raw: true });
      await readVolume(b, { threshold: 'otsu' });
      expectSame(b, copy);
    }
    const vol: Volume = { shape: [1, 2, 3], data: new Uint8Array([0, 1, 2, 2, 1, 0]), labels: [5, 6, 7], spacing: [1, 2, 3] };
    const before = structuredClone(vol);
    for (const ext of ['tif', 'png', 'npy', 'mhd', 'mha']) await writeVolume(join(dir, `same.${ext}`), vol);
    expect(vol).toEqual(before);
    const back = await readVolume(join(dir, 'same.npy'));
    back.data[0] = 2; // our result is a fresh array, not a view on anything the caller holds
    expect(vol.data[0]).toBe(0);
  });
});
