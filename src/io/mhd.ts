/**
 * MetaImage (.mhd header + raw data file, or .mha with the data inline). Read: NDims 2 or 3, one channel, MET_CHAR
 * .. MET_DOUBLE, either byte order, zlib-compressed or not, HeaderSize (including -1), ElementSpacing (or
 * ElementSize) -> spacing. The raw file named by ElementDataFile is read by the caller (fs.ts); this file only
 * parses and decodes bytes. Write: MET_UCHAR / MET_USHORT / MET_FLOAT, little-endian, optionally compressed.
 */
import { CodecError, deflateZlib, inflateZlib } from './codecs.js';
import { littleEndianBytes, readValues } from './npy.js';
import { checkFileShape, type Decoded, formatError } from './volume.js';
import type { SourceDtype } from './types.js';

const TYPES: Record<string, [SourceDtype, number]> = {
  MET_CHAR: ['int8', 1],
  MET_UCHAR: ['uint8', 1],
  MET_SHORT: ['int16', 2],
  MET_USHORT: ['uint16', 2],
  MET_INT: ['int32', 4],
  MET_UINT: ['uint32', 4],
  MET_LONG: ['int32', 4],
  MET_ULONG: ['uint32', 4],
  MET_FLOAT: ['float32', 4],
  MET_DOUBLE: ['float64', 8],
};

export interface MhdHeader {
  shape: [number, number, number];
  dtype: SourceDtype;
  itemSize: number;
  bigEndian: boolean;
  compressed: boolean;
  compressedSize?: number;
  headerSize: number;
  dataFile: string; // 'LOCAL' or a path relative to the header
  spacing?: [number, number, number];
}

const KEY_LINE = /^\s*(ObjectType|NDims|Comment|ObjectSubType|TransformType|DimSize|ElementType)\s*=/;

/** Whether the bytes start like a MetaImage header (text, first line a known key). */
export function isMetaImage(b: Uint8Array): boolean {
  const head = new TextDecoder('latin1').decode(b.subarray(0, 64));
  return KEY_LINE.test(head);
}

/** Parses the header; `dataAt` is where inline (LOCAL) data starts. */
export function parseMhd(bytes: Uint8Array, name: string, maxVoxels: number): { header: MhdHeader; dataAt: number } {
  const fields = new Map<string, string>();
  let at = 0;
  for (;;) {
    const nl = bytes.indexOf(0x0a, at);
    const end = nl < 0 ? bytes.length : nl;
    const line = new TextDecoder('latin1').decode(bytes.subarray(at, end)).replace(/\r$/, '');
    at = nl < 0 ? bytes.length : nl + 1;
    const m = /^\s*([A-Za-z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) {
      fields.set(m[1].toLowerCase(), m[2]);
      if (m[1].toLowerCase() === 'elementdatafile') break; // always the last field
    } else if (line.trim() !== '') {
      throw formatError(name, `malformed MetaImage header line ${JSON.stringify(line.slice(0, 80))}`);
    }
    if (nl < 0) break;
  }
  const get = (k: string): string | undefined => fields.get(k.toLowerCase());
  const req = (k: string): string => {
    const v = get(k);
    if (v === undefined) throw formatError(name, `MetaImage header lacks ${k}`);
    return v;
  };
  const nums = (s: string, what: string): number[] => {
    const out = s.split(/\s+/).map(Number);
    if (out.some((n) => !Number.isFinite(n))) throw formatError(name, `invalid ${what} '${s}'`);
    return out;
  };
  const bool = (k: string): boolean => /^true$/i.test(get(k) ?? 'False');
  const ndims = Number(req('NDims'));
  if (ndims !== 2 && ndims !== 3) throw formatError(name, `MetaImage NDims ${req('NDims')}: only 2D and 3D images are supported`);
  const dims = nums(req('DimSize'), 'DimSize'); // x y [z]
  if (dims.length !== ndims) throw formatError(name, `DimSize has ${dims.length} values for NDims ${ndims}`);
  const shape: [number, number, number] = ndims === 2 ? [1, dims[1], dims[0]] : [dims[2], dims[1], dims[0]];
  checkFileShape(shape, maxVoxels, name);
  const type = TYPES[req('ElementType').toUpperCase()];
  if (!type) throw formatError(name, `unsupported MetaImage ElementType ${req('ElementType')}`);
  const channels = Number(get('ElementNumberOfChannels') ?? '1');
  if (channels !== 1) throw formatError(name, `MetaImage with ${channels} channels per voxel is not supported`);
  if (get('BinaryData') !== undefined && !bool('BinaryData')) {
    throw formatError(name, 'MetaImage with ASCII data (BinaryData = False) is not supported');
  }
  const dataFile = req('ElementDataFile');
  if (/^LIST(\s|$)/i.test(dataFile) || dataFile.includes('%')) {
    throw formatError(name, `MetaImage ElementDataFile '${dataFile}': lists and file patterns are not supported`);
  }
  const header: MhdHeader = {
    shape,
    dtype: type[0],
    itemSize: type[1],
    bigEndian: bool('BinaryDataByteOrderMSB') || bool('ElementByteOrderMSB'),
    compressed: bool('CompressedData'),
    headerSize: Number(get('HeaderSize') ?? '0'),
    dataFile: /^LOCAL$/i.test(dataFile) ? 'LOCAL' : dataFile,
  };
  if (!Number.isSafeInteger(header.headerSize) || header.headerSize < -1) {
    throw formatError(name, `invalid HeaderSize ${get('HeaderSize')}`);
  }
  const cs = get('CompressedDataSize');
  if (cs !== undefined) {
    header.compressedSize = Number(cs);
    if (!Number.isSafeInteger(header.compressedSize) || header.compressedSize < 0) {
      throw formatError(name, `invalid CompressedDataSize ${cs}`);
    }
  }
  const sp = get('ElementSpacing') ?? get('ElementSize');
  if (sp !== undefined) {
    const s = nums(sp, 'ElementSpacing');
    if (s.length !== ndims || s.some((v) => v <= 0)) throw formatError(name, `invalid ElementSpacing '${sp}'`);
    header.spacing = ndims === 2 ? [1, s[1], s[0]] : [s[2], s[1], s[0]];
  }
  return { header, dataAt: at };
}

/** Decodes the voxel data (the whole raw file, or what follows the header for LOCAL). */
export function decodeMhdData(h: MhdHeader, file: Uint8Array, name: string): Decoded {
  const count = h.shape[0] * h.shape[1] * h.shape[2];
  const expected = count * h.itemSize;
  let body: Uint8Array;
  if (h.compressed) {
    let src = file.subarray(Math.max(h.headerSize, 0));
    if (h.compressedSize !== undefined) {
      if (src.length < h.compressedSize) {
        throw formatError(name, `compressed data holds ${src.length} bytes, CompressedDataSize says ${h.compressedSize} (truncated)`);
      }
      src = src.subarray(0, h.compressedSize);
    }
    try {
      body = inflateZlib(src, expected);
    } catch (e) {
      if (e instanceof CodecError) throw formatError(name, e.message, e);
      throw e;
    }
    if (body.length !== expected) {
      throw formatError(name, `compressed data holds ${body.length} bytes, shape and type need ${expected}`);
    }
  } else if (h.headerSize === -1) {
    if (file.length < expected) throw formatError(name, `data file holds ${file.length} bytes, needs ${expected} (truncated)`);
    body = file.subarray(file.length - expected);
  } else {
    const have = file.length - h.headerSize;
    if (have !== expected) {
      throw formatError(
        name,
        `data file holds ${have} bytes after a ${h.headerSize}-byte header; shape [${h.shape.join(', ')}] of ` +
          `${h.dtype} needs ${expected}${have < expected ? ' (truncated)' : ''}`,
      );
    }
    body = file.subarray(h.headerSize);
  }
  return {
    shape: h.shape,
    data: readValues(new DataView(body.buffer, body.byteOffset, body.byteLength), 0, count, h.dtype, h.itemSize, !h.bigEndian, name),
    dtype: h.dtype,
    format: h.dataFile === 'LOCAL' ? 'mha' : 'mhd',
    ...(h.spacing ? { spacing: h.spacing } : {}),
  };
}

const MET = { uint8: 'MET_UCHAR', bool: 'MET_UCHAR', uint16: 'MET_USHORT', float32: 'MET_FLOAT' } as const;

/**
 * Header and data parts of a MetaImage. `dataFile` is the raw file's name (relative to the header) or 'LOCAL'
 * to put the data inline (.mha).
 */
export function encodeMhd(
  data: Uint8Array | Uint16Array | Float32Array,
  shape: [number, number, number],
  dtype: keyof typeof MET,
  opts: { spacing?: [number, number, number]; compress: boolean; dataFile: string },
): { header: Uint8Array; data: Uint8Array } {
  const twoD = shape[0] === 1;
  const dims = twoD ? [shape[2], shape[1]] : [shape[2], shape[1], shape[0]];
  let payload = littleEndianBytes(data);
  if (opts.compress) payload = deflateZlib(payload);
  const lines = ['ObjectType = Image', `NDims = ${dims.length}`, 'BinaryData = True', 'BinaryDataByteOrderMSB = False'];
  lines.push(`CompressedData = ${opts.compress ? 'True' : 'False'}`);
  if (opts.compress) lines.push(`CompressedDataSize = ${payload.length}`);
  if (opts.spacing) {
    const s = opts.spacing;
    lines.push(`ElementSpacing = ${(twoD ? [s[2], s[1]] : [s[2], s[1], s[0]]).join(' ')}`);
  }
  lines.push(`DimSize = ${dims.join(' ')}`, `ElementType = ${MET[dtype]}`, `ElementDataFile = ${opts.dataFile}`);
  return { header: new TextEncoder().encode(lines.join('\n') + '\n'), data: payload };
}
