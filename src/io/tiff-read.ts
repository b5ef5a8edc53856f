/**
 * TIFF reader (classic and BigTIFF, single or multi-page). The container is parsed here (tiff-ifd.ts), not by a
 * library: image-js `tiff` lacks PackBits and reads signed samples as unsigned, UTIF silently skips a strip whose
 * inflated size does not fit, and geotiff pulls in workers and wasm codecs. Decompression: deflate through fflate,
 * LZW and PackBits in codecs.ts. (`tiff` is still a dev dependency: the tests compare our output with it.)
 *
 * Supported: compression none / LZW / deflate (8, 32946) / PackBits; predictor none / horizontal / floating point;
 * 1-, 8-, 16-, 32-, 64-bit samples (uint, int, float32/64); strips or tiles; chunky or planar; grey, palette (the
 * index is the value), RGB(A) (converted to grey by luminance). Values are returned as stored (WhiteIsZero is not
 * inverted, as in tifffile). Pages flagged as reduced-resolution (pyramid levels, thumbnails) are skipped.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { CodecError, inflateZlib, lzwDecode, packbitsDecode } from './codecs.js';
import { toLuminance } from './grey.js';
import { isTiff, type Page, pageOf, Reader, readIfds, T } from './tiff-ifd.js';
import { checkFileShape, type Decoded, formatError, type NumericArray } from './volume.js';
import type { SourceDtype } from './types.js';

export { isTiff };

const COMPRESSION_NAMES: Record<number, string> = {
  2: 'CCITT RLE',
  3: 'CCITT Group 3',
  4: 'CCITT Group 4',
  6: 'old-style JPEG',
  7: 'JPEG',
  34712: 'JPEG 2000',
  34887: 'LERC',
  34925: 'LZMA',
  50000: 'Zstandard',
  50001: 'WebP',
};

function dtypeOf(p: Page, name: string): SourceDtype {
  const key = `${p.format}:${p.bps}`;
  const map: Record<string, SourceDtype> = {
    '1:1': 'bool',
    '1:8': 'uint8',
    '2:8': 'int8',
    '1:16': 'uint16',
    '2:16': 'int16',
    '1:32': 'uint32',
    '2:32': 'int32',
    '3:32': 'float32',
    '3:64': 'float64',
  };
  const d = map[key] ?? (p.format === 4 ? map[`1:${p.bps}`] : undefined); // 4 = undefined format: treat as uint
  if (!d) {
    const what = p.format === 3 ? `${p.bps}-bit float` : `${p.bps}-bit ${p.format === 2 ? 'signed' : 'unsigned'}`;
    throw formatError(name, `unsupported sample type (${what})`);
  }
  return d;
}

function newArray(dtype: SourceDtype, n: number): NumericArray {
  switch (dtype) {
    case 'bool':
    case 'uint8':
      return new Uint8Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'uint16':
      return new Uint16Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'uint32':
      return new Uint32Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'float32':
      return new Float32Array(n);
    default:
      return new Float64Array(n);
  }
}

/** Undoes the predictor on one row of `n` samples (`stride` samples per pixel), in place, in file byte order. */
function unpredictRow(p: Page, row: Uint8Array, n: number, stride: number, le: boolean): void {
  const bytes = p.bps / 8;
  if (p.predictor === 2) {
    if (bytes === 1) {
      for (let i = stride; i < n; i++) row[i] = (row[i] + row[i - stride]) & 0xff;
      return;
    }
    const v = new DataView(row.buffer, row.byteOffset, n * bytes);
    for (let i = stride; i < n; i++) {
      const a = i * bytes;
      const b = (i - stride) * bytes;
      if (bytes === 2) v.setUint16(a, v.getUint16(a, le) + v.getUint16(b, le), le);
      else v.setUint32(a, v.getUint32(a, le) + v.getUint32(b, le), le);
    }
    return;
  }
  // Floating point predictor: bytes were split into planes (most significant first) and differenced bytewise.
  const total = n * bytes;
  for (let i = stride; i < total; i++) row[i] = (row[i] + row[i - stride]) & 0xff;
  const tmp = row.slice(0, total);
  for (let i = 0; i < n; i++) {
    for (let b = 0; b < bytes; b++) {
      // plane b holds byte b counted from the most significant one; write in file byte order
      row[i * bytes + (le ? bytes - 1 - b : b)] = tmp[b * n + i];
    }
  }
}

function checkPage(p: Page, name: string, index: number): void {
  if (![1, 5, 8, 32946, 32773].includes(p.compression)) {
    const label = COMPRESSION_NAMES[p.compression] ?? `code ${p.compression}`;
    throw formatError(name, `unsupported TIFF compression ${label} (supported: none, LZW, deflate, PackBits)`);
  }
  if (p.bps !== 1 && p.bps !== 8 && p.bps !== 16 && p.bps !== 32 && p.bps !== 64) {
    throw formatError(name, `unsupported bit depth ${p.bps}`);
  }
  if (p.predictor !== 1 && p.predictor !== 2 && p.predictor !== 3) {
    throw formatError(name, `unsupported predictor ${p.predictor}`);
  }
  if ((p.predictor === 2 && (p.format === 3 || p.bps < 8 || p.bps > 32)) || (p.predictor === 3 && p.format !== 3)) {
    throw formatError(name, `predictor ${p.predictor} with ${p.bps}-bit samples is not supported`);
  }
  if (p.planar !== 1 && p.planar !== 2) throw formatError(name, `invalid PlanarConfiguration ${p.planar}`);
  if (![0, 1, 2, 3].includes(p.photometric)) {
    throw formatError(name, `unsupported photometric interpretation ${p.photometric} (grey, palette or RGB only)`);
  }
  if (p.spp < 1 || p.spp > 16) throw formatError(name, `invalid SamplesPerPixel ${p.spp}`);
  if (p.photometric === 2 && p.spp < 3) throw formatError(name, `RGB with ${p.spp} samples per pixel`);
  if (p.bps === 1 && p.spp !== 1) throw formatError(name, '1-bit images with several samples are not supported');
  if (p.tiled && (p.chunkW * (p.planar === 2 ? 1 : p.spp) * p.bps) % 8 !== 0) {
    throw formatError(name, `page ${index}: tile width ${p.chunkW} does not fill whole bytes`);
  }
  if (!Number.isSafeInteger(p.chunkW) || !Number.isSafeInteger(p.chunkH) || p.chunkW <= 0 || p.chunkH <= 0) {
    throw formatError(name, `page ${index}: invalid ${p.tiled ? 'tile size' : 'RowsPerStrip'}`);
  }
}

/**
 * Decodes one page's pixels into `out` (length width*height, at `outAt`), converting several samples to grey.
 * Chunks are decompressed and copied row by row into a page buffer in file byte order first.
 */
function decodePage(r: Reader, p: Page, index: number, out: NumericArray, outAt: number): void {
  const { width: w, height: h, spp, bps } = p;
  const planes = p.planar === 2 ? spp : 1;
  const sppChunk = p.planar === 2 ? 1 : spp;
  const across = Math.ceil(w / p.chunkW);
  const down = Math.ceil(h / p.chunkH);
  const nChunks = across * down * planes;
  if (p.offsets.length < nChunks) {
    throw formatError(r.name, `page ${index} lists ${p.offsets.length} data chunks, needs ${nChunks} (corrupt)`);
  }
  const chunkRowBytes = Math.ceil((p.chunkW * sppChunk * bps) / 8);
  const pageRowBytes = Math.ceil((w * sppChunk * bps) / 8);
  const planeBytes = pageRowBytes * h;
  const page = new Uint8Array(planeBytes * planes);
  const bytesPer = bps / 8;
  for (let c = 0; c < nChunks; c++) {
    const plane = Math.floor(c / (across * down));
    const ci = c % (across * down);
    const cy = Math.floor(ci / across);
    const cx = ci % across;
    const rows = p.tiled ? p.chunkH : Math.min(p.chunkH, h - cy * p.chunkH);
    const expected = rows * chunkRowBytes;
    const at = p.offsets[c];
    const count = p.counts?.[c] ?? (p.compression === 1 ? expected : undefined);
    if (count === undefined) throw formatError(r.name, `page ${index} has no byte counts for compressed data`);
    if (count === 0 && p.compression !== 1) {
      throw formatError(r.name, `page ${index}: chunk ${c} is empty (missing data)`);
    }
    r.need(at, count, `data chunk ${c} of page ${index}`);
    const src = r.bytes.subarray(at, at + count);
    let raw: Uint8Array;
    try {
      switch (p.compression) {
        case 1:
          if (count < expected) {
            throw new CodecError(`uncompressed chunk holds ${count} bytes, expected ${expected} (truncated)`);
          }
          raw = p.predictor !== 1 ? src.slice(0, expected) : src; // never modify the caller's bytes
          break;
        case 5:
          raw = lzwDecode(src, expected);
          break;
        case 32773:
          raw = packbitsDecode(src, expected);
          break;
        default:
          raw = inflateZlib(src, expected);
      }
    } catch (e) {
      if (e instanceof CodecError) throw formatError(r.name, `page ${index}, chunk ${c}: ${e.message}`, e);
      throw e;
    }
    const samplesPerRow = p.chunkW * sppChunk;
    // Copy the part of each chunk row that falls inside the image (edge tiles are padded).
    const x0 = (cx * p.chunkW * sppChunk * bps) / 8; // whole bytes: tile widths are multiples of 16
    const copyBytes = Math.min(chunkRowBytes, pageRowBytes - x0);
    for (let y = 0; y < rows; y++) {
      const py = cy * p.chunkH + y;
      if (py >= h) break;
      const row = raw.subarray(y * chunkRowBytes, (y + 1) * chunkRowBytes);
      if (p.predictor !== 1) unpredictRow(p, row, samplesPerRow, sppChunk, r.le);
      page.set(row.subarray(0, copyBytes), plane * planeBytes + py * pageRowBytes + x0);
    }
  }
  // Bytes -> samples (host order), then samples -> one grey value per pixel.
  const nSamples = w * h * spp;
  let samples: NumericArray;
  if (bps === 1) {
    samples = new Uint8Array(nSamples);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) samples[y * w + x] = (page[y * pageRowBytes + (x >> 3)] >> (7 - (x & 7))) & 1;
    }
  } else {
    if (bytesPer > 1 && !r.le === hostLittleEndian) swapBytes(page, bytesPer);
    samples = viewAs(out, page.buffer, nSamples);
  }
  if (spp === 1) {
    out.set(samples, outAt);
  } else {
    toLuminance(samples, w * h, spp, p.planar === 2, p.photometric === 2, out, outAt);
  }
}

const hostLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swapBytes(b: Uint8Array, size: number): void {
  for (let i = 0; i + size <= b.length; i += size) {
    for (let j = 0; j < size >> 1; j++) {
      const t = b[i + j];
      b[i + j] = b[i + size - 1 - j];
      b[i + size - 1 - j] = t;
    }
  }
}

/** A typed array of the same kind as `like` over `buffer`. */
function viewAs(like: NumericArray, buffer: ArrayBufferLike, n: number): NumericArray {
  const Ctor = like.constructor as new (b: ArrayBufferLike, o: number, n: number) => NumericArray;
  return new Ctor(buffer, 0, n);
}

interface DescriptionHint {
  spacing?: [number, number, number];
  labels?: number[];
}

/** Our own description (tifffile-style JSON, plus spacing and labels) carries what TIFF tags cannot. */
function parseDescription(desc: string | undefined): DescriptionHint {
  if (!desc || !desc.startsWith('{')) return {};
  try {
    const j = JSON.parse(desc) as { shape?: unknown; spacing?: unknown; labels?: unknown };
    const out: DescriptionHint = {};
    const sp = j.spacing;
    if (Array.isArray(sp) && sp.length === 3 && sp.every((s) => typeof s === 'number' && Number.isFinite(s) && s > 0)) {
      out.spacing = [sp[0], sp[1], sp[2]];
    }
    const lb = j.labels;
    if (Array.isArray(lb) && lb.length > 0 && lb.length <= 256 && lb.every((v) => Number.isSafeInteger(v)) && new Set(lb).size === lb.length) {
      out.labels = lb as number[];
    }
    return out;
  } catch {
    return {};
  }
}

/**
 * ImageJ hyperstacks that are not plain z stacks would be misread as one: several channels or frames interleaved
 * as pages, or (files over 4 GiB) pages without IFDs of their own. Refuse them rather than return a wrong volume.
 */
function checkImageJ(desc: string | undefined, pages: number, name: string): void {
  if (!desc || !desc.startsWith('ImageJ=')) return;
  const field = (k: string): number => Number(new RegExp(`(?:^|\\n)${k}=(\\d+)`).exec(desc)?.[1] ?? 1);
  const channels = field('channels');
  const frames = field('frames');
  if (channels > 1 || frames > 1) {
    throw formatError(name, `ImageJ hyperstack with ${channels} channels and ${frames} frames; only z stacks are volumes`);
  }
  const images = field('images');
  if (images > pages) {
    throw formatError(name, `ImageJ stack of ${images} images stored with ${pages} IFD(s) (a file over 4 GiB) is not supported`);
  }
}

export interface TiffReadOptions {
  maxVoxels: number;
  /** Decode only this page of the stack (0-based). */
  page?: number;
}

export function decodeTiff(bytes: Uint8Array, name: string, opts: TiffReadOptions): Decoded {
  if (bytes.length < 8) throw formatError(name, `TIFF of ${bytes.length} bytes is truncated`);
  const r = new Reader(bytes, name);
  const all = readIfds(r, opts.maxVoxels);
  // Reduced-resolution images (pyramid levels, thumbnails) are not slices of the volume.
  const main = all.filter((tags, i) => {
    const e = tags.get(T.NewSubfileType);
    return i === 0 || !e || (r.values({ ...e, count: 1 })[0] & 1) === 0;
  });
  const pages = main.map((tags, i) => pageOf(r, tags, i, i === 0));
  const p0 = pages[0];
  checkPage(p0, name, 0);
  const dtype = dtypeOf(p0, name);
  for (let i = 1; i < pages.length; i++) {
    const p = pages[i];
    if (p.width !== p0.width || p.height !== p0.height || p.bps !== p0.bps || p.spp !== p0.spp || p.format !== p0.format) {
      throw formatError(
        name,
        `page ${i} (${p.width}x${p.height}, ${p.spp}x${p.bps}-bit) differs from page 0 (${p0.width}x${p0.height}, ` +
          `${p0.spp}x${p0.bps}-bit); only stacks of equal pages are volumes`,
      );
    }
    checkPage(p, name, i);
  }
  checkImageJ(p0.description, pages.length, name);
  let selected = pages.map((p, i) => ({ p, i }));
  if (opts.page !== undefined) {
    if (opts.page >= pages.length) {
      throw new InvalidArgumentError(`${name} has ${pages.length} pages; page ${opts.page} asked for`);
    }
    selected = [selected[opts.page]];
  }
  const shape: [number, number, number] = [selected.length, p0.height, p0.width];
  checkFileShape([...shape, p0.spp], opts.maxVoxels, name);
  const plane = p0.width * p0.height;
  const out = newArray(dtype, shape[0] * plane);
  selected.forEach(({ p, i }, k) => decodePage(r, p, i, out, k * plane));
  return { shape, data: out, dtype, format: 'tiff', ...parseDescription(p0.description) };
}
