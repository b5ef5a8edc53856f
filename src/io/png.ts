/**
 * PNG through fast-png (pure JS, fflate inside). fast-png fills a short image with zeros, so the chunk layout and
 * the inflated size are checked here first; CRCs are checked by fast-png. Palette images give the palette index
 * (segmentations are often saved that way); RGB(A) becomes grey by luminance; alpha is dropped; 1-bit images are
 * read as bool 0/1 and 2/4-bit ones unscaled.
 */
import { decode as pngDecode, encode as pngEncode } from 'fast-png';
import { CodecError, inflateZlib } from './codecs.js';
import { toLuminance } from './grey.js';
import { checkFileShape, type Decoded, formatError } from './volume.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && SIGNATURE.every((v, i) => b[i] === v);
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlace: number;
  idat: Uint8Array[];
}

function parseChunks(b: Uint8Array, name: string): Header {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let at = 8;
  let header: Omit<Header, 'idat'> | undefined;
  const idat: Uint8Array[] = [];
  for (;;) {
    if (at + 12 > b.length) throw formatError(name, 'PNG ends before its IEND chunk (truncated)');
    const len = v.getUint32(at);
    const type = String.fromCharCode(b[at + 4], b[at + 5], b[at + 6], b[at + 7]);
    if (at + 12 + len > b.length) throw formatError(name, `PNG chunk ${type} runs past the end of the file (truncated)`);
    const body = b.subarray(at + 8, at + 8 + len);
    if (!header && type !== 'IHDR') throw formatError(name, 'PNG does not start with an IHDR chunk');
    if (type === 'IHDR') {
      if (len !== 13) throw formatError(name, 'PNG IHDR chunk has the wrong length');
      header = {
        width: v.getUint32(at + 8),
        height: v.getUint32(at + 12),
        depth: body[8],
        colorType: body[9],
        interlace: body[12],
      };
    } else if (type === 'IDAT') {
      idat.push(body);
    } else if (type === 'IEND') {
      break;
    }
    at += 12 + len;
  }
  if (!header) throw formatError(name, 'PNG has no IHDR chunk');
  return { ...header, idat };
}

/** Bytes the inflated IDAT stream must hold: one filter byte per row of each (interlace) pass. */
function rawSize(h: Header, channels: number): number {
  const row = (w: number): number => 1 + Math.ceil((w * channels * h.depth) / 8);
  if (h.interlace === 0) return h.height * row(h.width);
  let total = 0;
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((h.width - x0) / dx);
    const ph = Math.ceil((h.height - y0) / dy);
    if (pw > 0 && ph > 0) total += ph * row(pw);
  }
  return total;
}

export function decodePng(bytes: Uint8Array, name: string, maxVoxels: number): Decoded {
  const h = parseChunks(bytes, name);
  const channels = CHANNELS[h.colorType];
  if (channels === undefined) throw formatError(name, `invalid PNG colour type ${h.colorType}`);
  if (![1, 2, 4, 8, 16].includes(h.depth)) throw formatError(name, `invalid PNG bit depth ${h.depth}`);
  if (h.interlace > 1) throw formatError(name, `invalid PNG interlace method ${h.interlace}`);
  if (h.interlace === 1 && h.depth < 8) {
    throw formatError(name, `interlaced PNGs of bit depth ${h.depth} are not supported (re-save without interlacing)`);
  }
  checkFileShape([1, h.height, h.width, channels], maxVoxels, name);
  if (h.idat.length === 0) throw formatError(name, 'PNG has no image data (IDAT)');
  const stream = new Uint8Array(h.idat.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of h.idat) {
    stream.set(c, off);
    off += c.length;
  }
  try {
    inflateZlib(stream, rawSize(h, channels));
  } catch (e) {
    if (e instanceof CodecError) throw formatError(name, `PNG image data: ${e.message}`, e);
    throw e;
  }
  let png;
  try {
    png = pngDecode(bytes, { checkCrc: true });
  } catch (e) {
    throw formatError(name, `corrupt PNG (${(e as Error).message})`, e);
  }
  const { width, height, depth } = png;
  const n = width * height;
  let grey: Uint8Array | Uint16Array;
  if (depth < 8) {
    // Rows are packed MSB-first and padded to a byte.
    const rowBytes = Math.ceil((width * depth) / 8);
    const packed = png.data as Uint8Array;
    const mask = (1 << depth) - 1;
    grey = new Uint8Array(n);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const bit = x * depth;
        grey[y * width + x] = (packed[y * rowBytes + (bit >> 3)] >> (8 - depth - (bit & 7))) & mask;
      }
    }
  } else {
    grey = depth === 16 ? new Uint16Array(n) : new Uint8Array(n);
    if (png.channels === 1) grey.set(png.data);
    else toLuminance(png.data, n, png.channels, false, png.channels >= 3, grey, 0);
  }
  const dtype = depth === 1 && h.colorType === 0 ? 'bool' : depth === 16 ? 'uint16' : 'uint8';
  return { shape: [1, height, width], data: grey, dtype, format: 'png' };
}

/** A greyscale PNG of one slice (8 or 16 bit). */
export function encodePng(data: Uint8Array | Uint16Array, height: number, width: number): Uint8Array {
  return pngEncode({ width, height, data, depth: data instanceof Uint16Array ? 16 : 8, channels: 1 });
}
