/**
 * The 'wasm' backend: the C++ core compiled to WebAssembly (wasm/). Tensors stay resident in the module's linear
 * memory as integer handles (wasm/api.cpp keeps the table); values cross into JS only on upload and download.
 * Kernels run synchronously on the calling thread (fanning out to the module's pthreads in the threaded variant).
 */
import { fromBackendError, NativeError, OutOfMemoryError, type ErrorCode } from '../core/errors.js';
import { chooseVariant, loadWasmModule, type WasmModule, type WasmVariant } from './wasm-binding.js';
import type { Backend } from './types.js';

/** A buffer in wasm memory. Handles are objects so that a forgotten tensor's memory is freed by the GC. */
export interface WasmHandle {
  readonly id: number;
  readonly size: number;
}

/** wasm/api.cpp returns mr::Code values (native/core/status.h). */
const CODES: Record<number, ErrorCode> = {
  1: 'ERR_INVALID_ARGUMENT',
  2: 'ERR_OUT_OF_MEMORY',
  3: 'ERR_NOT_SUPPORTED',
  4: 'ERR_NATIVE',
  5: 'ERR_ABORTED',
};

const encoder = new TextEncoder();

export class WasmBackend implements Backend {
  readonly name = 'wasm' as const;
  /** below the native cpu backend (100) and webgpu */
  readonly priority = 50;
  readonly sharesHostMemory = false;
  #m!: WasmModule;
  #variant!: WasmVariant;
  #kernels = new Set<string>();
  #maxThreads = 1;
  /** set when the module trapped: its memory can no longer be trusted */
  #broken: string | undefined;
  #registry = new FinalizationRegistry<number>((id) => {
    if (!this.#broken) this.#m._mr_free(id);
  });

  constructor(private readonly forced?: WasmVariant) {}

  async init(): Promise<void> {
    this.#variant = this.forced ?? chooseVariant();
    this.#m = await loadWasmModule(this.#variant);
    const pt = this.#m.PThread;
    if (pt) {
      // Idle pool workers must not keep a Node process alive.
      for (const w of [...pt.unusedWorkers, ...pt.runningWorkers]) w.unref?.();
      this.#maxThreads = pt.unusedWorkers.length + 1;
    }
    this.#kernels = new Set(this.#m.UTF8ToString(this.#m._mr_kernels()).split(','));
    const env = typeof process !== 'undefined' ? Number(process.env?.MICRORECON_THREADS) : NaN;
    this.setThreads(env > 0 ? env : this.#m._mr_threads());
  }

  supports(kernel: string): boolean {
    return this.#kernels.has(kernel);
  }

  /** Every kernel the module registers (native/cpu/register_all.cpp). */
  kernelNames(): string[] {
    return [...this.#kernels];
  }

  alloc(size: number): WasmHandle {
    this.#alive();
    const id = this.#m._mr_alloc(size);
    if (!id) throw new OutOfMemoryError(`wasm: ${this.#lastError()}`);
    const h: WasmHandle = { id, size };
    this.#registry.register(h, id, h);
    return h;
  }

  upload(data: Float32Array): WasmHandle {
    const h = this.alloc(data.length);
    this.#view(h).set(data);
    return h;
  }

  async download(handle: unknown): Promise<Float32Array> {
    this.#alive();
    return this.#view(handle as WasmHandle).slice();
  }

  free(handle: unknown): void {
    const h = handle as WasmHandle;
    if (!this.#registry.unregister(h) || this.#broken) return; // already freed
    this.#m._mr_free(h.id);
  }

  async run(kernel: string, inputs: unknown[], outputs: unknown[], params: Uint8Array): Promise<void> {
    this.#alive();
    const m = this.#m;
    const cap = m._mr_arg_capacity();
    if (inputs.length > cap || outputs.length > cap) throw new NativeError(`wasm ${kernel}: more than ${cap} buffers`);
    const name = encoder.encode(`${kernel}\0`);
    if (name.length > 64 || params.length > 256) throw new NativeError(`wasm ${kernel}: name or params too long`);
    const mem = this.#buffer();
    new Uint8Array(mem, m._mr_arg_name() >>> 0, name.length).set(name);
    new Int32Array(mem, m._mr_arg_inputs() >>> 0, inputs.length).set(inputs.map((h) => (h as WasmHandle).id));
    new Int32Array(mem, m._mr_arg_outputs() >>> 0, outputs.length).set(outputs.map((h) => (h as WasmHandle).id));
    new Uint8Array(mem, m._mr_arg_params() >>> 0, params.length).set(params);
    let code: number;
    try {
      code = m._mr_run(inputs.length, outputs.length, params.length);
    } catch (err) {
      // A trap (or an exception no C++ handler caught): the module's state is unknown from here on.
      this.#broken = `the WebAssembly module trapped in ${kernel}: ${(err as Error)?.message ?? String(err)}`;
      throw new NativeError(`wasm ${kernel}: ${this.#broken}`, { cause: err });
    }
    if (code !== 0)
      throw fromBackendError(Object.assign(new Error(this.#lastError()), { code: CODES[code] ?? 'ERR_NATIVE' }), `wasm ${kernel}`);
  }

  details(): Record<string, unknown> {
    return { variant: this.#variant, threads: this.#m._mr_threads(), memoryBytes: this.#buffer().byteLength };
  }

  /** Threads of the kernels (capped by the preloaded workers); returns the count in effect. */
  setThreads(n: number): number {
    return this.#m._mr_set_threads(Math.max(1, Math.min(Math.floor(n), this.#maxThreads)));
  }

  /** One line for 'auto' when it falls back to wasm because the native addon did not load (Node only). */
  autoNotice(reasons: Record<string, string>): string | undefined {
    if (!reasons.cpu || typeof process === 'undefined' || !process.versions?.node) return undefined;
    return `microrecon: the native cpu backend is unavailable (${reasons.cpu}); using the slower WebAssembly backend (${this.#variant})`;
  }

  #buffer(): ArrayBufferLike {
    return (this.#m.wasmMemory?.buffer ?? this.#m.HEAPU8.buffer) as ArrayBufferLike;
  }

  #view(h: WasmHandle): Float32Array {
    return new Float32Array(this.#buffer(), this.#m._mr_data(h.id) >>> 0, h.size);
  }

  #lastError(): string {
    return this.#m.UTF8ToString(this.#m._mr_last_error());
  }

  #alive(): void {
    if (this.#broken) throw new NativeError(`wasm: ${this.#broken}`);
  }
}
