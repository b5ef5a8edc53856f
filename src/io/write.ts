/**
 * writeVolume / encodeVolume. The format comes from the extension (or options.format); values written are the
 * volume's labels (file values), so reading a file and writing it back keeps every voxel value.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { baseName, writeParts } from './fs.js';
import { fileValues } from './labels.js';
import { encodeMhd } from './mhd.js';
import { encodeNpy } from './npy.js';
import { encodePng } from './png.js';
import { encodeTiff } from './tiff-write.js';
import type { Volume, WriteDtype, WriteOptions } from './types.js';

type WriteFormat = NonNullable<WriteOptions['format']>;

const EXTENSIONS: Record<string, WriteFormat> = {
  tif: 'tiff',
  tiff: 'tiff',
  png: 'png',
  npy: 'npy',
  mhd: 'mhd',
  mha: 'mha',
};

const DTYPES: Record<WriteFormat, WriteDtype[]> = {
  tiff: ['uint8', 'uint16', 'float32'],
  png: ['uint8', 'uint16'],
  npy: ['uint8', 'uint16', 'float32', 'bool'],
  mhd: ['uint8', 'uint16', 'float32'],
  mha: ['uint8', 'uint16', 'float32'],
};

function formatOf(path: string, options: WriteOptions): WriteFormat {
  if (options.format !== undefined) {
    if (!(options.format in DTYPES)) {
      throw new InvalidArgumentError(`format must be one of ${Object.keys(DTYPES).join(', ')}, got ${String(options.format)}`);
    }
    return options.format;
  }
  const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase() ?? '';
  if (ext === 'jpg' || ext === 'jpeg') {
    throw new InvalidArgumentError(`${path}: JPEG is lossy and cannot keep labels; write .png or .tif`);
  }
  const f = EXTENSIONS[ext];
  if (!f) throw new InvalidArgumentError(`${path}: unknown extension '.${ext}' (use .tif, .tiff, .png, .npy, .mhd or .mha)`);
  return f;
}

function checkWriteOptions(options: unknown): WriteOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
  const o = options as WriteOptions;
  if (o.compression !== undefined && o.compression !== 'none' && o.compression !== 'deflate') {
    throw new InvalidArgumentError(`compression must be 'none' or 'deflate', got ${String(o.compression)}`);
  }
  return o;
}

interface Encoded {
  main: Uint8Array[];
  /** MetaImage's raw data file, written beside the header. */
  sidecar?: Uint8Array[];
}

function encode(vol: Volume, format: WriteFormat, options: WriteOptions, rawName?: string): Encoded {
  const { data, dtype } = fileValues(vol, options.dtype, DTYPES[format], format);
  const shape: [number, number, number] = [...vol.shape];
  switch (format) {
    case 'tiff': {
      const description = JSON.stringify({
        shape,
        ...(vol.spacing ? { spacing: vol.spacing } : {}),
        ...(vol.labels ? { labels: vol.labels } : {}),
      });
      return { main: encodeTiff(data, shape, { compression: options.compression ?? 'deflate', description }) };
    }
    case 'png':
      if (shape[0] !== 1) {
        throw new InvalidArgumentError(`PNG holds one slice but the volume has ${shape[0]}; write .tif, .npy or .mhd`);
      }
      return { main: [encodePng(data as Uint8Array | Uint16Array, shape[1], shape[2])] };
    case 'npy':
      if (options.compression === 'deflate') throw new InvalidArgumentError('NPY files cannot be compressed');
      return { main: encodeNpy(data, shape, dtype) };
    default: {
      const m = encodeMhd(data, shape, dtype, {
        ...(vol.spacing ? { spacing: vol.spacing } : {}),
        compress: options.compression === 'deflate',
        dataFile: format === 'mha' ? 'LOCAL' : rawName!,
      });
      return format === 'mha' ? { main: [m.header, m.data] } : { main: [m.header], sidecar: [m.data] };
    }
  }
}

/**
 * Writes a volume. Format by extension: .tif/.tiff (deflate by default), .png (one slice), .npy, .mhd (plus a .raw
 * beside it), .mha. dtype defaults to the file's original one when it still fits, else the narrowest exact one.
 */
export async function writeVolume(path: string, vol: Volume, options?: WriteOptions): Promise<void> {
  if (typeof path !== 'string' || path === '') throw new InvalidArgumentError('path must be a non-empty string');
  const opts = checkWriteOptions(options);
  const format = formatOf(path, opts);
  const rawPath = format === 'mhd' ? path.replace(/(\.mhd)?$/i, '.raw') : undefined;
  const enc = encode(vol, format, opts, rawPath ? await baseName(rawPath) : undefined);
  if (enc.sidecar && rawPath) await writeParts(rawPath, enc.sidecar);
  await writeParts(path, enc.main);
}

/** The bytes of a file in the given format (for browsers, or to send elsewhere). MetaImage: 'mha' only. */
export function encodeVolume(vol: Volume, options: WriteOptions & { format: WriteFormat }): Uint8Array {
  const opts = checkWriteOptions(options);
  if (!opts.format || !(opts.format in DTYPES)) throw new InvalidArgumentError('options.format is required');
  if (opts.format === 'mhd') throw new InvalidArgumentError("encodeVolume cannot make two files: use format 'mha'");
  const parts = encode(vol, opts.format, opts).main;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
