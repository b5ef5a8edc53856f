/** The 'cpu' backend: the C++ core through the Node-API addon. Host Float32Arrays are its storage (no copies). */
import { fromBackendError } from '../core/errors.js';
import { loadNativeBinding, type NativeBinding } from './native-binding.js';
import type { Backend } from './types.js';

/** Kernels under this many output elements run synchronously: a thread hop costs more than the work. */
const SYNC_LIMIT = 4096;
/**
 * Output arrays of at least this many floats are pooled on release, up to POOL_MAX floats in all: 256 MB, or
 * MICRORECON_POOL_MB (0 turns reuse off, for tight memory).
 */
const POOL_MIN = 4096;
const POOL_MAX = (() => {
  // guarded: this module is also part of browser bundles, where there is no `process`
  const mb = Number((typeof process !== 'undefined' ? process.env?.MICRORECON_POOL_MB : undefined) ?? 256);
  return Number.isFinite(mb) && mb >= 0 ? Math.floor((mb * 2 ** 20) / 4) : 2 ** 26;
})();

export class NativeCpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly priority = 100;
  readonly sharesHostMemory = true;
  #addon!: NativeBinding;
  #kernels = new Set<string>();

  async init(): Promise<void> {
    this.#addon = await loadNativeBinding();
    this.#kernels = new Set(this.#addon.info().kernels);
  }

  supports(kernel: string): boolean {
    return this.#kernels.has(kernel);
  }

  /**
   * Released output arrays, by length, for reuse. A fresh zeroed Float32Array per op output made V8 collect
   * gigabytes of external memory per training iteration (GC pauses plus first-touch page faults in the kernels
   * were ~25-40 % of the time); reuse removes both. Only arrays this backend allocated come back here (tensors
   * created from user data are never pooled), and they are zeroed again on reuse, as a fresh array would be.
   */
  #pool = new Map<number, Float32Array[]>();
  #mine = new WeakSet<Float32Array>();
  #pooled = 0;

  alloc(size: number): Float32Array {
    const a = this.#pool.get(size)?.pop();
    if (a) {
      this.#pooled -= size;
      return a.fill(0);
    }
    const b = new Float32Array(size);
    if (size >= POOL_MIN) this.#mine.add(b);
    return b;
  }
  /** Called when the last tensor over `handle` is released (Storage.release): keep it for reuse, within the cap. */
  free(handle: unknown): void {
    const a = handle as Float32Array;
    if (!this.#mine.has(a) || this.#pooled + a.length > POOL_MAX) return;
    let list = this.#pool.get(a.length);
    if (!list) this.#pool.set(a.length, (list = []));
    list.push(a);
    this.#pooled += a.length;
  }
  upload(data: Float32Array): Float32Array {
    return data;
  }
  async download(handle: unknown): Promise<Float32Array> {
    return (handle as Float32Array).slice();
  }

  async run(kernel: string, inputs: unknown[], outputs: unknown[], params: Uint8Array): Promise<void> {
    const ins = inputs as Float32Array[];
    const outs = outputs as Float32Array[];
    try {
      const small = outs.reduce((n, o) => n + o.length, 0) < SYNC_LIMIT;
      if (small) this.#addon.runKernelSync(kernel, ins, outs, params);
      else await this.#addon.runKernel(kernel, ins, outs, params);
    } catch (err) {
      throw fromBackendError(err, `cpu ${kernel}`);
    }
  }

  details(): Record<string, unknown> {
    const { isa, threads } = this.#addon.info();
    return { isa, threads };
  }

  setThreads(n: number): number {
    return this.#addon.setNumThreads(n);
  }
}
