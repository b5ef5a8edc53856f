/**
 * Tensor: an immutable float32 array with a shape, living on one or more backends. Ops never modify their
 * inputs; they return new tensors. Storage is reference counted so that reshape() is free.
 */
import { DisposedError, InvalidArgumentError } from './errors.js';
import { checkShape, sameShape, shapeString, sizeOf, type Shape } from './shape.js';

export type BackendName = 'cpu' | 'cuda' | 'wasm' | 'webgpu';
export const BACKEND_NAMES: readonly BackendName[] = ['cpu', 'cuda', 'wasm', 'webgpu'];

/** What a backend must provide for tensors to live on it (see src/backends/types.ts for the full interface). */
export interface StorageOwner {
  readonly name: BackendName;
  /** true when handles are the host Float32Arrays themselves (the native cpu backend) */
  readonly sharesHostMemory?: boolean;
  /** Copies device memory to a new host array. */
  download(handle: unknown, size: number): Promise<Float32Array>;
  upload(data: Float32Array): unknown;
  free(handle: unknown): void;
}

/** One allocation on one backend (or on the host), shared by reshaped views. */
class Storage {
  refs = 1;
  /** host copy (the cpu backend uses it directly) and device copies, keyed by backend */
  host: Float32Array | null;
  readonly device = new Map<StorageOwner, unknown>();
  /** the backend that allocated `host` (a kernel output on a host-memory backend): its free() gets it back on release */
  hostOwner?: StorageOwner;
  constructor(host: Float32Array | null, hostOwner?: StorageOwner) {
    this.host = host;
    this.hostOwner = hostOwner;
  }
  release(): void {
    if (--this.refs > 0) return;
    if (this.hostOwner && this.host) this.hostOwner.free(this.host);
    for (const [owner, h] of this.device) owner.free(h);
    this.device.clear();
    this.host = null;
  }
}

export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  readonly dtype = 'float32' as const;
  #storage: Storage | null;

  /** @internal use tensor() or the ops */
  constructor(storage: Storage, shape: Shape) {
    this.#storage = storage;
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
  }

  get disposed(): boolean {
    return this.#storage === null;
  }

  /** A copy of the values (the tensor stays usable). */
  async read(): Promise<Float32Array> {
    const s = this.#live('read');
    if (s.host) return s.host.slice();
    const [owner, handle] = s.device.entries().next().value as [StorageOwner, unknown];
    return owner.download(handle, this.size);
  }

  /** Same values, new shape (no copy). */
  reshape(shape: number[]): Tensor {
    const s = this.#live('reshape');
    checkShape(shape, 'reshape: shape');
    if (sizeOf(shape) !== this.size)
      throw new InvalidArgumentError(`reshape: cannot view ${shapeString(this.shape)} (${this.size} elements) as ${shapeString(shape)}`);
    s.refs++;
    return new Tensor(s, shape);
  }

  /** Frees the memory (on every backend). Further use throws DisposedError; disposing twice is harmless. */
  dispose(): void {
    this.#storage?.release();
    this.#storage = null;
  }

  toString(): string {
    return `Tensor${shapeString(this.shape)}${this.disposed ? ' (disposed)' : ''}`;
  }

  #live(what: string): Storage {
    if (!this.#storage) throw new DisposedError(`${what}: ${this.toString()} was disposed`);
    return this.#storage;
  }

  /** @internal host array of the values (downloads if the tensor lives on a device only). */
  async hostData(): Promise<Float32Array> {
    const s = this.#live('use');
    if (!s.host) {
      const [owner, handle] = s.device.entries().next().value as [StorageOwner, unknown];
      s.host = await owner.download(handle, this.size);
    }
    return s.host;
  }

  /** @internal handle on `owner`, uploading (and caching) from wherever the values are. */
  async handleOn(owner: StorageOwner): Promise<unknown> {
    if (owner.sharesHostMemory) return this.hostData();
    const s = this.#live('use');
    const h = s.device.get(owner);
    if (h !== undefined) return h;
    const host = await this.hostData();
    const nh = owner.upload(host);
    s.device.set(owner, nh);
    return nh;
  }

  /** @internal */
  static fromHost(data: Float32Array, shape: Shape, owner?: StorageOwner): Tensor {
    return new Tensor(new Storage(data, owner), shape);
  }

  /** @internal a tensor whose only copy is a device handle */
  static fromDevice(owner: StorageOwner, handle: unknown, shape: Shape): Tensor {
    const s = new Storage(null);
    s.device.set(owner, handle);
    return new Tensor(s, shape);
  }

  /** @internal the backend where the values live (undefined: host only) */
  get location(): BackendName | undefined {
    const s = this.#storage;
    if (!s || s.host) return undefined;
    return s.device.keys().next().value?.name;
  }
}

/**
 * Creates a tensor from a copy of `data` (the caller's array is never kept or modified). Throws
 * InvalidArgumentError for a non-Float32Array, a shape that does not match the length, or NaN/Infinity values.
 */
export function tensor(data: Float32Array, shape: number[]): Tensor {
  if (!(data instanceof Float32Array))
    throw new InvalidArgumentError(
      `tensor: data must be a Float32Array, got ${data === null ? 'null' : (data as object)?.constructor?.name ?? typeof data}`,
    );
  checkShape(shape, 'tensor: shape');
  const n = sizeOf(shape);
  if (n !== data.length)
    throw new InvalidArgumentError(`tensor: shape ${shapeString(shape)} needs ${n} values, data has ${data.length}`);
  for (let k = 0; k < n; k++)
    if (!Number.isFinite(data[k])) throw new InvalidArgumentError(`tensor: data[${k}] is ${data[k]} (NaN/Infinity are not accepted)`);
  return Tensor.fromHost(data.slice(), shape);
}

/** A tensor of zeros / of one value. */
export function full(shape: number[], value: number): Tensor {
  checkShape(shape, 'full: shape');
  if (!Number.isFinite(value)) throw new InvalidArgumentError(`full: value must be finite, got ${value}`);
  return Tensor.fromHost(new Float32Array(sizeOf(shape)).fill(value), shape);
}

export function isTensor(v: unknown): v is Tensor {
  return v instanceof Tensor;
}

/** Checks an op input: a live Tensor of the given rank(s). */
export function checkTensor(v: unknown, what: string, ranks?: readonly number[]): Tensor {
  if (!(v instanceof Tensor)) throw new InvalidArgumentError(`${what} must be a Tensor (use tensor(data, shape)), got ${typeof v}`);
  if (v.disposed) throw new DisposedError(`${what}: ${v.toString()} was disposed`);
  if (ranks && !ranks.includes(v.shape.length))
    throw new InvalidArgumentError(`${what} must have rank ${ranks.join(' or ')}, got shape ${shapeString(v.shape)}`);
  return v;
}

export function expectShape(t: Tensor, shape: Shape, what: string): void {
  if (!sameShape(t.shape, shape))
    throw new InvalidArgumentError(`${what} must have shape ${shapeString(shape)}, got ${shapeString(t.shape)}`);
}
