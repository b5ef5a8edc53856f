/**
 * TIFF writer: one page per z slice, little-endian classic TIFF, strips of about 64 KiB (as tifffile), uncompressed
 * or deflate (compression 8, via fflate), 8/16-bit unsigned or 32-bit float grey. No library writes multi-page
 * deflate TIFFs, and the container is a few tags. Page 0 carries a JSON ImageDescription like tifffile's
 * ({"shape": [z, y, x]}) plus our spacing and labels, which our reader uses to restore them.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { deflateZlib } from './codecs.js';
import { littleEndianBytes } from './npy.js';

const SHORT = 3;
const LONG = 4;
const ASCII = 2;

interface Tag {
  tag: number;
  type: number;
  values: number[] | Uint8Array; // Uint8Array for ASCII (NUL-terminated)
}

export interface TiffWriteOptions {
  compression: 'none' | 'deflate';
  description?: string;
}

/** The file as a list of parts (no one giant buffer for large volumes). */
export function encodeTiff(
  data: Uint8Array | Uint16Array | Float32Array,
  shape: [number, number, number],
  opts: TiffWriteOptions,
): Uint8Array[] {
  const [nz, ny, nx] = shape;
  const bytes = littleEndianBytes(data);
  const size = data.BYTES_PER_ELEMENT;
  const rowBytes = nx * size;
  const rowsPerStrip = Math.max(1, Math.min(ny, Math.floor(65536 / rowBytes)));
  const stripsPerPage = Math.ceil(ny / rowsPerStrip);
  const parts: Uint8Array[] = [];
  let offset = 8;
  const header = new Uint8Array(8);
  parts.push(header);
  const push = (b: Uint8Array): number => {
    const at = offset;
    parts.push(b);
    offset += b.length;
    return at;
  };
  const align = (): void => {
    if (offset % 2) push(new Uint8Array(1)); // IFDs and values start on a word boundary
  };
  let previousNextField = 4; // where the offset of the next IFD goes (the header's first-IFD field for page 0)
  let previousNextPart: Uint8Array = header;
  let previousNextBase = 0;
  for (let z = 0; z < nz; z++) {
    const offsets: number[] = [];
    const counts: number[] = [];
    for (let s = 0; s < stripsPerPage; s++) {
      const start = (z * ny + s * rowsPerStrip) * rowBytes;
      const end = (z * ny + Math.min(ny, (s + 1) * rowsPerStrip)) * rowBytes;
      const raw = bytes.subarray(start, end);
      const strip = opts.compression === 'deflate' ? deflateZlib(raw) : raw;
      offsets.push(push(strip));
      counts.push(strip.length);
    }
    align();
    const tags: Tag[] = [
      { tag: 254, type: LONG, values: [0] },
      { tag: 256, type: LONG, values: [nx] },
      { tag: 257, type: LONG, values: [ny] },
      { tag: 258, type: SHORT, values: [size * 8] },
      { tag: 259, type: SHORT, values: [opts.compression === 'deflate' ? 8 : 1] },
      { tag: 262, type: SHORT, values: [1] },
      ...(z === 0 && opts.description ? [{ tag: 270, type: ASCII, values: asciiz(opts.description) }] : []),
      { tag: 273, type: LONG, values: offsets },
      { tag: 277, type: SHORT, values: [1] },
      { tag: 278, type: LONG, values: [rowsPerStrip] },
      { tag: 279, type: LONG, values: counts },
      { tag: 284, type: SHORT, values: [1] },
      ...(z === 0 ? [{ tag: 305, type: ASCII, values: asciiz('microrecon') }] : []),
      { tag: 339, type: SHORT, values: [data instanceof Float32Array ? 3 : 1] },
    ];
    const ifdAt = offset;
    const ifdSize = 2 + tags.length * 12 + 4;
    const ifd = new Uint8Array(ifdSize);
    const v = new DataView(ifd.buffer);
    v.setUint16(0, tags.length, true);
    // Values longer than 4 bytes go right after the IFD.
    const extra: Uint8Array[] = [];
    let extraAt = ifdAt + ifdSize;
    tags.forEach((t, i) => {
      const p = 2 + i * 12;
      const count = t.values.length;
      const width = t.type === SHORT ? 2 : t.type === LONG ? 4 : 1;
      v.setUint16(p, t.tag, true);
      v.setUint16(p + 2, t.type, true);
      v.setUint32(p + 4, count, true);
      const packed = new Uint8Array(count * width + ((count * width) % 2));
      const pv = new DataView(packed.buffer);
      for (let k = 0; k < count; k++) {
        const x = t.values[k];
        if (width === 1) pv.setUint8(k, x);
        else if (width === 2) pv.setUint16(k * 2, x, true);
        else pv.setUint32(k * 4, x, true);
      }
      if (count * width <= 4) {
        ifd.set(packed.subarray(0, count * width), p + 8);
      } else {
        v.setUint32(p + 8, extraAt, true);
        extra.push(packed);
        extraAt += packed.length;
      }
    });
    push(ifd);
    for (const e of extra) push(e);
    // Link the previous IFD (or the header) to this one.
    new DataView(previousNextPart.buffer, previousNextPart.byteOffset).setUint32(previousNextField - previousNextBase, ifdAt, true);
    previousNextPart = ifd;
    previousNextBase = ifdAt;
    previousNextField = ifdAt + ifdSize - 4;
    if (offset > 0xffffffff) {
      throw new InvalidArgumentError(`volume too large for a classic TIFF (over 4 GiB); write .npy or .mhd instead`);
    }
  }
  header.set([0x49, 0x49, 42, 0]);
  return parts;
}

function asciiz(s: string): Uint8Array {
  const b = new Uint8Array(s.length + 1);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    b[i] = c < 128 ? c : 0x3f; // TIFF ASCII is 7-bit
  }
  return b;
}
