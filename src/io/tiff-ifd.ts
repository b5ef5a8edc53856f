/**
 * The TIFF container: header, IFD chain (classic and BigTIFF, either byte order) and the tags the decoder needs.
 * Every offset and count is checked against the file size before it is used.
 */
import { formatError } from './volume.js';

export function isTiff(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  const ii = b[0] === 0x49 && b[1] === 0x49 && (b[2] === 42 || b[2] === 43) && b[3] === 0;
  const mm = b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && (b[3] === 42 || b[3] === 43);
  return ii || mm;
}

// Tag numbers used below.
export const T = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  ImageDescription: 270,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  PlanarConfiguration: 284,
  Predictor: 317,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  SampleFormat: 339,
} as const;

const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8 };

export interface Entry {
  type: number;
  count: number;
  at: number; // byte offset of the value(s)
}

export class Reader {
  readonly view: DataView;
  readonly le: boolean;
  readonly big: boolean;
  constructor(
    readonly bytes: Uint8Array,
    readonly name: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.le = bytes[0] === 0x49;
    this.big = this.u16(2) === 43;
    if (this.big && (bytes.length < 16 || this.u16(4) !== 8)) throw formatError(name, 'invalid BigTIFF header');
  }
  need(at: number, n: number, what: string): void {
    if (at < 0 || at + n > this.bytes.length) {
      throw formatError(this.name, `${what} lies past the end of the file (truncated or corrupt)`);
    }
  }
  u16(at: number): number {
    return this.view.getUint16(at, this.le);
  }
  u32(at: number): number {
    return this.view.getUint32(at, this.le);
  }
  u64(at: number): number {
    const v = this.view.getBigUint64(at, this.le);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw formatError(this.name, 'offset beyond 2^53');
    return Number(v);
  }
  offset(at: number): number {
    return this.big ? this.u64(at) : this.u32(at);
  }
  /** Numeric values of a tag (rationals as quotients). */
  values(e: Entry): number[] {
    const size = TYPE_SIZE[e.type];
    if (size === undefined) throw formatError(this.name, `unknown TIFF field type ${e.type}`);
    this.need(e.at, size * e.count, 'a tag value');
    const out = new Array<number>(e.count);
    const v = this.view;
    for (let i = 0; i < e.count; i++) {
      const p = e.at + i * size;
      switch (e.type) {
        case 1: case 2: case 7: out[i] = v.getUint8(p); break;
        case 6: out[i] = v.getInt8(p); break;
        case 3: out[i] = v.getUint16(p, this.le); break;
        case 8: out[i] = v.getInt16(p, this.le); break;
        case 4: case 13: out[i] = v.getUint32(p, this.le); break;
        case 9: out[i] = v.getInt32(p, this.le); break;
        case 5: out[i] = v.getUint32(p, this.le) / v.getUint32(p + 4, this.le); break;
        case 10: out[i] = v.getInt32(p, this.le) / v.getInt32(p + 4, this.le); break;
        case 11: out[i] = v.getFloat32(p, this.le); break;
        case 12: out[i] = v.getFloat64(p, this.le); break;
        default: out[i] = this.u64(p); // 16, 17, 18: LONG8 family (offsets)
      }
    }
    return out;
  }
  text(e: Entry): string {
    this.need(e.at, e.count, 'a text tag');
    let end = e.at + e.count;
    while (end > e.at && this.bytes[end - 1] === 0) end--;
    return new TextDecoder('latin1').decode(this.bytes.subarray(e.at, end));
  }
}

/** The parts of one IFD the decoder uses, checked for consistency. */
export interface Page {
  width: number;
  height: number;
  bps: number;
  spp: number;
  format: number; // SampleFormat: 1 uint, 2 int, 3 float
  compression: number;
  predictor: number;
  planar: number;
  photometric: number;
  tiled: boolean;
  chunkW: number; // tile width, or image width for strips
  chunkH: number; // tile height, or rows per strip
  offsets: number[];
  counts: number[] | undefined;
  description?: string;
}

export function readIfds(r: Reader, maxPages: number): Map<number, Entry>[] {
  const ifds: Map<number, Entry>[] = [];
  const seen = new Set<number>();
  const headSize = r.big ? 8 : 4;
  let at = r.offset(r.big ? 8 : 4);
  const entrySize = r.big ? 20 : 12;
  while (at !== 0) {
    if (seen.has(at)) throw formatError(r.name, 'IFD chain loops back on itself (corrupt file)');
    if (ifds.length >= maxPages) throw formatError(r.name, `more than ${maxPages} pages`);
    seen.add(at);
    r.need(at, r.big ? 8 : 2, `IFD ${ifds.length}`);
    const n = r.big ? r.u64(at) : r.u16(at);
    const first = at + (r.big ? 8 : 2);
    r.need(first, n * entrySize + headSize, `IFD ${ifds.length}`);
    const tags = new Map<number, Entry>();
    for (let i = 0; i < n; i++) {
      const p = first + i * entrySize;
      const tag = r.u16(p);
      const type = r.u16(p + 2);
      const count = r.big ? r.u64(p + 4) : r.u32(p + 4);
      const size = (TYPE_SIZE[type] ?? 0) * count;
      const inline = r.big ? 8 : 4;
      const valueAt = p + (r.big ? 12 : 8);
      tags.set(tag, { type, count, at: size <= inline ? valueAt : r.offset(valueAt) });
    }
    ifds.push(tags);
    at = r.offset(first + n * entrySize);
  }
  if (ifds.length === 0) throw formatError(r.name, 'TIFF has no image');
  return ifds;
}

export function pageOf(r: Reader, tags: Map<number, Entry>, index: number, withDescription: boolean): Page {
  const one = (tag: number, dflt?: number): number => {
    const e = tags.get(tag);
    if (!e || e.count === 0) {
      if (dflt === undefined) throw formatError(r.name, `page ${index} lacks required tag ${tag}`);
      return dflt;
    }
    return r.values({ ...e, count: 1 })[0];
  };
  const many = (tag: number): number[] | undefined => {
    const e = tags.get(tag);
    return e ? r.values(e) : undefined;
  };
  const width = one(T.ImageWidth);
  const height = one(T.ImageLength);
  const spp = one(T.SamplesPerPixel, 1);
  const bpsAll = many(T.BitsPerSample) ?? [1];
  const fmtAll = many(T.SampleFormat) ?? [1];
  if (new Set(bpsAll).size > 1 || new Set(fmtAll).size > 1) {
    throw formatError(r.name, `page ${index}: samples of different bit depths or formats are not supported`);
  }
  const tiled = tags.has(T.TileWidth) || tags.has(T.TileOffsets);
  const offsets = many(tiled ? T.TileOffsets : T.StripOffsets);
  if (!offsets) throw formatError(r.name, `page ${index} has no ${tiled ? 'tile' : 'strip'} offsets`);
  const desc = withDescription ? tags.get(T.ImageDescription) : undefined;
  return {
    width,
    height,
    bps: bpsAll[0],
    spp,
    format: fmtAll[0],
    compression: one(T.Compression, 1),
    predictor: one(T.Predictor, 1),
    planar: one(T.PlanarConfiguration, 1),
    photometric: one(T.Photometric, 1),
    tiled,
    chunkW: tiled ? one(T.TileWidth) : width,
    chunkH: tiled ? one(T.TileLength) : Math.min(one(T.RowsPerStrip, height), height),
    offsets,
    counts: many(tiled ? T.TileByteCounts : T.StripByteCounts),
    ...(desc && desc.type === 2 ? { description: r.text(desc) } : {}),
  };
}
