/** The 'cpu' backend: the C++ core through the Node-API addon. Host Float32Arrays are its storage (no copies). */
import { fromBackendError } from '../core/errors.js';
import { loadNativeBinding, type NativeBinding } from './native-binding.js';
import type { Backend } from './types.js';

/** Kernels under this many output elements run synchronously: a thread hop costs more than the work. */
const SYNC_LIMIT = 4096;

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

  alloc(size: number): Float32Array {
    return new Float32Array(size);
  }
  upload(data: Float32Array): Float32Array {
    return data;
  }
  async download(handle: unknown): Promise<Float32Array> {
    return (handle as Float32Array).slice();
  }
  free(): void {
    // garbage collected
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
