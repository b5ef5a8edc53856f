/**
 * The safetensors format (huggingface/safetensors), float32 only: 8-byte little-endian header length N, N bytes of
 * JSON { name: { dtype: "F32", shape, data_offsets: [begin, end] }, "__metadata__"?: { string: string } } padded
 * with spaces to a multiple of 8, then the raw little-endian data, every byte covered exactly once.
 * Decoding validates everything and throws FormatError; writing is atomic (temp file + fsync + rename).
 */
import { FormatError, InvalidArgumentError } from '../core/errors.js';
import type { HostArray } from './nn/module.js';

const MAX_HEADER = 100 * 1024 * 1024;
const LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export interface Safetensors {
  tensors: Map<string, HostArray>;
  metadata: Record<string, string>;
}

export function encodeSafetensors(tensors: ReadonlyMap<string, HostArray> | Record<string, HostArray>, metadata: Record<string, string> = {}): Uint8Array {
  const entries: Array<[string, HostArray]> = tensors instanceof Map ? [...(tensors as Map<string, HostArray>)] : Object.entries(tensors as Record<string, HostArray>);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw new InvalidArgumentError(`safetensors: metadata '${k}' must be a string`);
    header.__metadata__ = metadata;
  }
  let off = 0;
  for (const [name, a] of entries) {
    if (name === '__metadata__') throw new InvalidArgumentError('safetensors: "__metadata__" is not a tensor name');
    const n = a.shape.reduce((p, q) => p * q, 1);
    if (n !== a.data.length) throw new InvalidArgumentError(`safetensors: '${name}' has shape ${JSON.stringify(a.shape)} but ${a.data.length} values`);
    header[name] = { dtype: 'F32', shape: a.shape, data_offsets: [off, off + 4 * n] };
    off += 4 * n;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + off);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const [, a] of entries) {
    if (LITTLE) out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), pos);
    else for (let k = 0; k < a.data.length; k++) dv.setFloat32(pos + 4 * k, a.data[k], true);
    pos += a.data.byteLength;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, what = 'safetensors'): Safetensors {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError(`${what}: bytes must be a Uint8Array`);
  if (bytes.length < 8) throw new FormatError(`${what}: ${bytes.length} bytes is too short for a safetensors file (truncated?)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(Math.min(MAX_HEADER, bytes.length - 8)))
    throw new FormatError(`${what}: header length ${n64} does not fit the file of ${bytes.length} bytes (truncated or not safetensors)`);
  const n = Number(n64);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (err) {
    throw new FormatError(`${what}: the header is not valid JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new FormatError(`${what}: the header must be a JSON object`);
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const spans: Array<{ name: string; shape: number[]; begin: number; end: number }> = [];
  for (const [name, e] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (e === null || typeof e !== 'object') throw new FormatError(`${what}: __metadata__ must be an object of strings`);
      for (const [k, v] of Object.entries(e as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new FormatError(`${what}: __metadata__.${k} must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    const t = e as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!t || typeof t !== 'object') throw new FormatError(`${what}: entry '${name}' must be an object`);
    if (t.dtype !== 'F32') throw new FormatError(`${what}: tensor '${name}' has dtype ${JSON.stringify(t.dtype)}; only F32 is supported`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0))
      throw new FormatError(`${what}: tensor '${name}' has an invalid shape ${JSON.stringify(t.shape)}`);
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[1] < off[0])
      throw new FormatError(`${what}: tensor '${name}' has invalid data_offsets ${JSON.stringify(off)}`);
    const count = (t.shape as number[]).reduce((p, q) => p * q, 1);
    if (off[1] - off[0] !== 4 * count)
      throw new FormatError(`${what}: tensor '${name}' spans ${off[1] - off[0]} bytes, its shape ${JSON.stringify(t.shape)} needs ${4 * count}`);
    if (off[1] > dataLen) throw new FormatError(`${what}: tensor '${name}' ends at byte ${off[1]} of a ${dataLen}-byte data section (truncated?)`);
    spans.push({ name, shape: t.shape as number[], begin: off[0], end: off[1] });
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const s of spans) {
    if (s.begin !== cursor) throw new FormatError(`${what}: tensor '${s.name}' starts at byte ${s.begin}, expected ${cursor} (overlap or hole in the data)`);
    cursor = s.end;
  }
  if (cursor !== dataLen) throw new FormatError(`${what}: ${dataLen - cursor} bytes of data after the last tensor (corrupt file)`);
  const tensors = new Map<string, HostArray>();
  for (const s of spans) {
    const count = (s.end - s.begin) / 4;
    let data: Float32Array;
    if (LITTLE) data = new Float32Array(bytes.slice(dataStart + s.begin, dataStart + s.end).buffer);
    else {
      data = new Float32Array(count);
      for (let k = 0; k < count; k++) data[k] = dv.getFloat32(dataStart + s.begin + 4 * k, true);
    }
    tensors.set(s.name, { shape: s.shape, data });
  }
  return { tensors, metadata };
}

type Fs = typeof import('node:fs/promises');
async function nodeFs(): Promise<Fs> {
  try {
    return await import('node:fs/promises');
  } catch {
    throw new InvalidArgumentError('reading and writing files needs Node.js');
  }
}

/** Writes bytes to `path` atomically: a temp file beside it, fsync, rename over the target. */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const fs = await nodeFs();
  const tmp = `${path}.tmp-${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  let fh: Awaited<ReturnType<Fs['open']>> | undefined;
  try {
    fh = await fs.open(tmp, 'w');
    await fh.writeFile(bytes);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await fs.rename(tmp, path);
  } catch (err) {
    await fh?.close().catch(() => {});
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw new InvalidArgumentError(`${path}: cannot write (${(err as Error).message})`, { cause: err });
  }
}

export async function writeSafetensors(path: string, tensors: ReadonlyMap<string, HostArray> | Record<string, HostArray>, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Reads and validates a safetensors file; a missing or unreadable file is a FormatError too. */
export async function readSafetensors(path: string): Promise<Safetensors> {
  const fs = await nodeFs();
  let buf: Buffer;
  try {
    buf = await fs.readFile(path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new FormatError(`${path}: ${code === 'ENOENT' ? 'missing' : `cannot be read (${(err as Error).message})`}`, { cause: err });
  }
  return decodeSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}
