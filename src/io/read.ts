/**
 * readVolume / readImage: pick the decoder from the file's first bytes (never from its name), then segment.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { readBytes, siblingPath } from './fs.js';
import { toGreyData } from './grey.js';
import { decodeJpeg, isJpeg } from './jpeg.js';
import { segment } from './labels.js';
import { decodeMhdData, isMetaImage, parseMhd } from './mhd.js';
import { decodeNpy, isNpy } from './npy.js';
import { decodePng, isPng } from './png.js';
import { decodeTiff, isTiff } from './tiff-read.js';
import type {
  GreyVolume,
  ImageReadOptions,
  RawImageReadOptions,
  RawReadOptions,
  ReadOptions,
  Volume,
} from './types.js';
import { checkMaxVoxels, type Decoded, formatError } from './volume.js';

type Source = string | Uint8Array | ArrayBuffer;

async function load(src: Source, options: { name?: unknown }): Promise<{ bytes: Uint8Array; name: string; path?: string }> {
  if (typeof src === 'string') {
    if (src === '') throw new InvalidArgumentError('path is empty');
    return { bytes: await readBytes(src), name: src, path: src };
  }
  const name = typeof options.name === 'string' && options.name !== '' ? options.name : '<bytes>';
  if (src instanceof Uint8Array) return { bytes: src, name };
  if (src instanceof ArrayBuffer) return { bytes: new Uint8Array(src), name };
  throw new InvalidArgumentError(`expected a file path or a Uint8Array of file bytes, got ${describe(src)}`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

function checkOptions(options: unknown): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
  return options as Record<string, unknown>;
}

async function decode(
  src: Source,
  options: Record<string, unknown>,
  page: number | undefined,
): Promise<{ decoded: Decoded; name: string }> {
  const maxVoxels = checkMaxVoxels(options.maxVoxels);
  const { bytes, name, path } = await load(src, options);
  if (bytes.length === 0) throw formatError(name, 'file is empty');
  let decoded: Decoded;
  if (isTiff(bytes)) decoded = decodeTiff(bytes, name, { maxVoxels, ...(page !== undefined ? { page } : {}) });
  else if (isPng(bytes)) decoded = decodePng(bytes, name, maxVoxels);
  else if (isJpeg(bytes)) decoded = decodeJpeg(bytes, name, maxVoxels);
  else if (isNpy(bytes)) decoded = decodeNpy(bytes, name, maxVoxels);
  else if (isMetaImage(bytes)) {
    const { header, dataAt } = parseMhd(bytes, name, maxVoxels);
    let file: Uint8Array;
    if (header.dataFile === 'LOCAL') {
      file = bytes.subarray(dataAt);
    } else {
      if (!path) {
        throw formatError(name, `MetaImage header points to data file '${header.dataFile}': pass the .mhd path, not bytes`);
      }
      const dataPath = await siblingPath(path, header.dataFile);
      try {
        file = await readBytes(dataPath);
      } catch (e) {
        throw formatError(name, `cannot read its data file ${dataPath} (${(e as Error).message})`, e);
      }
    }
    decoded = decodeMhdData(header, file, name);
  } else {
    const hint = /\.raw$/i.test(name) ? ' (a .raw file needs its .mhd header: read the .mhd)' : '';
    throw formatError(name, `unrecognised file format${hint}; supported: TIFF, PNG, JPEG, NPY, MetaImage (.mhd/.mha)`);
  }
  return { decoded, name };
}

function grey(d: Decoded): GreyVolume {
  return {
    shape: d.shape,
    data: toGreyData(d.data),
    ...(d.spacing ? { spacing: d.spacing } : {}),
    sourceDtype: d.dtype,
    sourceFormat: d.format,
  };
}

/**
 * Reads a segmented volume (TIFF stack, NPY, MetaImage; a 2D image gives shape [1, y, x]). The format comes from
 * the file's magic bytes. A file with at most 16 distinct integer values is a label image: phase i is its i-th
 * smallest value, kept in `labels`. Greyscale files throw a FormatError unless `threshold` is given; with
 * `{ raw: true }` the grey values come back as a GreyVolume.
 */
export async function readVolume(src: Source, options: RawReadOptions): Promise<GreyVolume>;
export async function readVolume(src: Source, options?: ReadOptions): Promise<Volume>;
export async function readVolume(src: Source, options?: ReadOptions | RawReadOptions): Promise<Volume | GreyVolume> {
  const opts = checkOptions(options);
  const { decoded, name } = await decode(src, opts, undefined);
  if (opts.raw === true) return grey(decoded);
  return segment(decoded, opts as ReadOptions, name);
}

function checkPage(page: unknown): number | undefined {
  if (page === undefined) return undefined;
  if (typeof page !== 'number' || !Number.isSafeInteger(page) || page < 0) {
    throw new InvalidArgumentError(`page must be a non-negative integer, got ${String(page)}`);
  }
  return page;
}

/** Takes slice `page` of a decoded stack (TIFF decodes only that page already). */
function slice(d: Decoded, page: number | undefined, name: string): Decoded {
  const [nz, ny, nx] = d.shape;
  if (nz === 1 && (page === undefined || page === 0 || d.format === 'tiff')) return d;
  if (page === undefined) {
    throw new InvalidArgumentError(`${name} is a stack of ${nz} slices: use readVolume, or readImage with { page }`);
  }
  if (page >= nz) throw new InvalidArgumentError(`${name} has ${nz} slices; page ${page} asked for`);
  const n = ny * nx;
  return { ...d, shape: [1, ny, nx], data: d.data.slice(page * n, (page + 1) * n) };
}

/**
 * Reads a 2D image (PNG, JPEG, single-page TIFF, 2D NPY/MetaImage, or one `page` of a stack) as a Volume of shape
 * [1, y, x], with the same label rules and options as readVolume.
 */
export async function readImage(src: Source, options: RawImageReadOptions): Promise<GreyVolume>;
export async function readImage(src: Source, options?: ImageReadOptions): Promise<Volume>;
export async function readImage(
  src: Source,
  options?: ImageReadOptions | RawImageReadOptions,
): Promise<Volume | GreyVolume> {
  const opts = checkOptions(options);
  const page = checkPage(opts.page);
  const { decoded, name } = await decode(src, opts, page);
  const d = slice(decoded, page, name);
  if (opts.raw === true) return grey(d);
  return segment(d, opts as ReadOptions, name);
}
