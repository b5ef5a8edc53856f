/**
 * NumPy .npy (format versions 1-3). Read: bool, (u)int8/16/32/64, float32/64, either byte order, C or Fortran
 * order, 2D (y, x) or 3D (z, y, x). 64-bit integers must be exactly representable as doubles. Write: version 1.0,
 * little-endian, C order, header padded to 64 bytes like numpy; 2D when the volume has one slice.
 */
import { checkFileShape, type Decoded, formatError, type NumericArray } from './volume.js';
import type { SourceDtype } from './types.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function isNpy(b: Uint8Array): boolean {
  return b.length >= 6 && MAGIC.every((v, i) => b[i] === v);
}

const KINDS: Record<string, SourceDtype> = {
  b1: 'bool',
  u1: 'uint8',
  i1: 'int8',
  u2: 'uint16',
  i2: 'int16',
  u4: 'uint32',
  i4: 'int32',
  u8: 'uint64',
  i8: 'int64',
  f4: 'float32',
  f8: 'float64',
};

interface Header {
  descr: string;
  fortran: boolean;
  shape: number[];
}

/** Parses numpy's header, a Python dict literal with three known keys. */
function parseHeader(text: string, name: string): Header {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw formatError(name, `malformed NPY header ${JSON.stringify(text.trim().slice(0, 120))}`);
  }
  const parts = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const shape = parts.map((s) => (/^\d+L?$/.test(s) ? Number.parseInt(s, 10) : NaN));
  if (shape.some((n) => !Number.isSafeInteger(n))) throw formatError(name, `malformed NPY shape (${shapeText})`);
  return { descr, fortran: fortran === 'True', shape };
}

export function decodeNpy(bytes: Uint8Array, name: string, maxVoxels: number): Decoded {
  if (bytes.length < 10) throw formatError(name, 'NPY file is truncated');
  const major = bytes[6];
  if (major < 1 || major > 3) throw formatError(name, `unsupported NPY format version ${major}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenSize = major === 1 ? 2 : 4;
  const headerLen = major === 1 ? v.getUint16(8, true) : bytes.length >= 12 ? v.getUint32(8, true) : Infinity;
  const dataAt = 8 + lenSize + headerLen;
  if (dataAt > bytes.length) throw formatError(name, 'NPY header runs past the end of the file (truncated)');
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(8 + lenSize, dataAt));
  const h = parseHeader(text, name);
  const m = /^([<>|=])([a-z]\d+)$/.exec(h.descr);
  const dtype = m ? KINDS[m[2]] : undefined;
  if (!m || !dtype) {
    throw formatError(name, `unsupported NPY dtype '${h.descr}' (bool, integers and floats only)`);
  }
  const big = m[1] === '>';
  if (h.shape.length < 2 || h.shape.length > 3) {
    throw formatError(name, `NPY array has ${h.shape.length} dimensions; expected 2 (y, x) or 3 (z, y, x)`);
  }
  const shape: [number, number, number] = h.shape.length === 2 ? [1, h.shape[0], h.shape[1]] : [h.shape[0], h.shape[1], h.shape[2]];
  const count = checkFileShape(shape, maxVoxels, name);
  const itemSize = Number(m[2].slice(1));
  const expected = count * itemSize;
  const have = bytes.length - dataAt;
  if (have !== expected) {
    throw formatError(
      name,
      `NPY data holds ${have} bytes but shape (${h.shape.join(', ')}) of ${h.descr} needs ${expected}` +
        (have < expected ? ' (truncated)' : ''),
    );
  }
  const data = readValues(v, dataAt, count, dtype, itemSize, !big, name);
  return { shape, data: h.fortran ? fromFortran(data, shape) : data, dtype, format: 'npy' };
}

/** Reads n values of dtype at byte `at` (always a copy, never a view on the file bytes). */
export function readValues(v: DataView, at: number, n: number, dtype: SourceDtype, size: number, le: boolean, name: string): NumericArray {
  switch (dtype) {
    case 'bool': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = v.getUint8(at + i) !== 0 ? 1 : 0;
      return out;
    }
    case 'uint8':
      return new Uint8Array(v.buffer.slice(v.byteOffset + at, v.byteOffset + at + n)); // a copy, never a view
    case 'int8':
      return new Int8Array(v.buffer.slice(v.byteOffset + at, v.byteOffset + at + n));
    default: {
      const out =
        dtype === 'uint16' ? new Uint16Array(n)
        : dtype === 'int16' ? new Int16Array(n)
        : dtype === 'uint32' ? new Uint32Array(n)
        : dtype === 'int32' ? new Int32Array(n)
        : dtype === 'float32' ? new Float32Array(n)
        : new Float64Array(n);
      const get =
        dtype === 'uint16' ? (p: number) => v.getUint16(p, le)
        : dtype === 'int16' ? (p: number) => v.getInt16(p, le)
        : dtype === 'uint32' ? (p: number) => v.getUint32(p, le)
        : dtype === 'int32' ? (p: number) => v.getInt32(p, le)
        : dtype === 'float32' ? (p: number) => v.getFloat32(p, le)
        : dtype === 'float64' ? (p: number) => v.getFloat64(p, le)
        : dtype === 'uint64' ? (p: number) => Number(v.getBigUint64(p, le))
        : (p: number) => Number(v.getBigInt64(p, le));
      for (let i = 0; i < n; i++) {
        const x = get(at + i * size);
        if ((dtype === 'uint64' || dtype === 'int64') && !Number.isSafeInteger(x)) {
          throw formatError(name, `int64 value at index ${i} is beyond 2^53 and cannot be represented`);
        }
        out[i] = x;
      }
      return out;
    }
  }
}

/** Fortran order: the first axis varies fastest. Reorder to C order. */
function fromFortran(src: NumericArray, shape: [number, number, number]): NumericArray {
  const [nz, ny, nx] = shape;
  const out = new (src.constructor as new (n: number) => NumericArray)(src.length);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) out[(z * ny + y) * nx + x] = src[z + nz * (y + ny * x)];
    }
  }
  return out;
}

const DESCR = { bool: '|b1', uint8: '|u1', uint16: '<u2', float32: '<f4' } as const;

export function encodeNpy(
  data: Uint8Array | Uint16Array | Float32Array,
  shape: [number, number, number],
  dtype: keyof typeof DESCR,
): Uint8Array[] {
  const dims = shape[0] === 1 ? [shape[1], shape[2]] : shape;
  let dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': (${dims.join(', ')}), }`;
  const pad = 64 - ((10 + dict.length + 1) % 64);
  dict += ' '.repeat(pad % 64) + '\n';
  const head = new Uint8Array(10 + dict.length);
  head.set([...MAGIC, 1, 0]);
  new DataView(head.buffer).setUint16(8, dict.length, true);
  head.set(new TextEncoder().encode(dict), 10);
  return [head, littleEndianBytes(data)];
}

/** The bytes of a typed array in little-endian order (a view on little-endian hosts). */
export function littleEndianBytes(data: Uint8Array | Uint16Array | Float32Array): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data.BYTES_PER_ELEMENT === 1 || new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  const size = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += size) for (let j = 0; j < size; j++) out[i + j] = bytes[i + size - 1 - j];
  return out;
}
