/**
 * Byte-level decompressors shared by the TIFF, PNG and MetaImage code. Deflate is fflate's; TIFF's LZW and PackBits
 * are small enough to keep here (no maintained browser-safe package exports them on their own). Every decoder takes
 * the size the caller expects and throws CodecError when the stream is corrupt or too short, so that a damaged file
 * can never come back as a silently zero-padded image.
 */
import { unzlibSync, zlibSync } from 'fflate';

export class CodecError extends Error {}

/** Adler-32 of a zlib stream's payload: fflate does not verify it, and it is what catches flipped bits. */
function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  const n = data.length;
  for (let i = 0; i < n; ) {
    const end = Math.min(i + 5552, n); // the largest run before b can overflow 2^53 / mod is needed (zlib's NMAX)
    for (; i < end; i++) {
      a += data[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * Inflates a zlib (RFC 1950) stream, checks its Adler-32, and returns at least `expected` bytes (more are allowed:
 * some writers pad). `expected` < 0 means unknown.
 */
export function inflateZlib(src: Uint8Array, expected: number): Uint8Array {
  if (src.length < 6) throw new CodecError(`deflate stream of ${src.length} bytes is truncated`);
  let out: Uint8Array;
  try {
    out = unzlibSync(src);
  } catch (e) {
    throw new CodecError(`corrupt deflate stream (${(e as Error).message})`);
  }
  const n = src.length;
  const stored = ((src[n - 4] << 24) | (src[n - 3] << 16) | (src[n - 2] << 8) | src[n - 1]) >>> 0;
  if (adler32(out) !== stored) throw new CodecError('deflate checksum mismatch (corrupt data)');
  if (expected >= 0 && out.length < expected) {
    throw new CodecError(`deflate stream holds ${out.length} bytes, expected ${expected} (truncated)`);
  }
  return out;
}

export function deflateZlib(data: Uint8Array, level: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 = 6): Uint8Array {
  return zlibSync(data, { level });
}

const CLEAR = 256;
const EOI = 257;

/** TIFF LZW (MSB-first codes of 9-12 bits, code width grows one code early, as libtiff writes it). */
export function lzwDecode(src: Uint8Array, expected: number): Uint8Array {
  if (src.length >= 2 && src[0] === 0 && (src[1] & 1) === 1) {
    throw new CodecError('old-style (pre-TIFF 6) LZW is not supported');
  }
  const out = new Uint8Array(expected);
  const prefix = new Int16Array(4096);
  const suffix = new Uint8Array(4096);
  const first = new Uint8Array(4096);
  const len = new Uint16Array(4096);
  for (let i = 0; i < 256; i++) {
    prefix[i] = -1;
    suffix[i] = i;
    first[i] = i;
    len[i] = 1;
  }
  const totalBits = src.length * 8;
  let bitPos = 0;
  let width = 9;
  let next = 258;
  let old = -1;
  let pos = 0;
  while (pos < expected && bitPos + width <= totalBits) {
    // Read `width` bits MSB-first; a 12-bit code spans at most 3 bytes.
    const byte = bitPos >>> 3;
    const word = (src[byte] << 16) | ((src[byte + 1] ?? 0) << 8) | (src[byte + 2] ?? 0);
    const code = (word >>> (24 - (bitPos & 7) - width)) & ((1 << width) - 1);
    bitPos += width;
    if (code === EOI) break;
    if (code === CLEAR) {
      width = 9;
      next = 258;
      old = -1;
      continue;
    }
    let entry: number;
    if (old < 0) {
      if (code > 255) throw new CodecError(`corrupt LZW stream (code ${code} after a clear code)`);
      entry = code;
    } else if (code < next) {
      entry = code;
      if (next < 4096) {
        prefix[next] = old;
        suffix[next] = first[code];
        first[next] = first[old];
        len[next] = len[old] + 1;
        next++;
      }
    } else if (code === next && next < 4096) {
      // The KwKwK case: the code being defined is old's string plus its own first byte.
      prefix[next] = old;
      suffix[next] = first[old];
      first[next] = first[old];
      len[next] = len[old] + 1;
      entry = next;
      next++;
    } else {
      throw new CodecError(`corrupt LZW stream (code ${code} not yet defined)`);
    }
    // Write the entry's string backwards along its prefix chain; clip at the expected size.
    const l = len[entry];
    let c = entry;
    for (let k = l - 1; k >= 0; k--) {
      if (pos + k < expected) out[pos + k] = suffix[c];
      c = prefix[c];
    }
    pos += l;
    old = entry;
    if (next + 1 >= 1 << width && width < 12) width++;
  }
  if (pos < expected) throw new CodecError(`LZW stream holds ${pos} bytes, expected ${expected} (truncated)`);
  return out;
}

/** PackBits (Apple / TIFF compression 32773). */
export function packbitsDecode(src: Uint8Array, expected: number): Uint8Array {
  const out = new Uint8Array(expected);
  let i = 0;
  let pos = 0;
  while (pos < expected && i < src.length) {
    const n = (src[i++] << 24) >> 24;
    if (n >= 0) {
      const count = n + 1;
      if (i + count > src.length) throw new CodecError('PackBits literal run past the end of the data (truncated)');
      out.set(src.subarray(i, i + Math.min(count, expected - pos)), pos);
      i += count;
      pos += count;
    } else if (n !== -128) {
      if (i >= src.length) throw new CodecError('PackBits repeat run past the end of the data (truncated)');
      const count = 1 - n;
      out.fill(src[i++], pos, Math.min(pos + count, expected));
      pos += count;
    }
  }
  if (pos < expected) throw new CodecError(`PackBits stream holds ${pos} bytes, expected ${expected} (truncated)`);
  return out;
}
