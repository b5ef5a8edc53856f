/// <reference types="@webgpu/types" />
/**
 * The 'webgpu' backend: WGSL kernels (./kernels) on navigator.gpu in browsers or Dawn in Node. Tensors stay in
 * GPU buffers between ops; only read() copies back. Each run() records its dispatches and submits them at once;
 * validation errors are caught per run with an error scope, a lost device turns every later call into a clear
 * error (callers fall back to another backend).
 */
import { openGpu, type GpuContext } from './gpu.js';
import { KERNELS, type GpuBuf } from './kernels/index.js';
import { Programs } from './program.js';
import type { Backend } from '../types.js';

const USAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly priority: number;
  #ctx!: GpuContext;
  #programs!: Programs;
  #lost: string | null = null;

  /** Browsers: above the wasm backend; Node: below cpu (priority 100), since Dawn without a GPU is an emulation. */
  constructor(priority: number) {
    this.priority = priority;
  }

  async init(): Promise<void> {
    this.#ctx = await openGpu();
    this.#programs = new Programs(this.#ctx.device);
    void this.#ctx.device.lost.then((info) => {
      this.#lost = `the WebGPU device was lost (${info.reason ?? 'unknown'}: ${info.message || 'no message'})`;
    });
  }

  get device(): GPUDevice {
    return this.#ctx.device;
  }

  /** Why the device cannot be used any more, or null. */
  get lostReason(): string | null {
    return this.#lost;
  }

  /** A failed map or submit is often a device loss whose `lost` promise has not settled yet: give it a moment. */
  async #settleLoss(): Promise<void> {
    if (this.#lost) return;
    await Promise.race([this.#ctx.device.lost, new Promise((r) => setTimeout(r, 100))]);
    await Promise.resolve();
  }

  #alive(): void {
    if (this.#lost) throw new Error(this.#lost);
  }

  supports(kernel: string): boolean {
    return kernel in KERNELS && !this.#lost;
  }

  alloc(size: number): GpuBuf {
    this.#alive();
    const bytes = Math.max(16, Math.ceil((size * 4) / 16) * 16);
    const max = this.#ctx.device.limits.maxStorageBufferBindingSize;
    if (bytes > max) throw new RangeError(`${size} floats exceed the GPU's largest storage buffer (${max} bytes)`);
    return { buffer: this.#ctx.device.createBuffer({ size: bytes, usage: USAGE() }), size };
  }

  upload(data: Float32Array): GpuBuf {
    const h = this.alloc(data.length);
    if (data.length) this.#ctx.device.queue.writeBuffer(h.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return h;
  }

  async download(handle: unknown, size: number): Promise<Float32Array> {
    this.#alive();
    const h = handle as GpuBuf;
    const n = Math.min(size, h.size);
    const bytes = Math.max(16, Math.ceil((n * 4) / 16) * 16);
    const device = this.#ctx.device;
    const staging = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      const enc = device.createCommandEncoder();
      enc.copyBufferToBuffer(h.buffer, 0, staging, 0, bytes);
      device.queue.submit([enc.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const out = new Float32Array(n);
      out.set(new Float32Array(staging.getMappedRange(0, bytes), 0, n));
      staging.unmap();
      return out;
    } catch (err) {
      await this.#settleLoss();
      throw new Error(this.#lost ?? `reading a WebGPU buffer back failed: ${(err as Error).message}`);
    } finally {
      staging.destroy();
    }
  }

  free(handle: unknown): void {
    (handle as GpuBuf).buffer.destroy();
  }

  async run(kernel: string, inputs: unknown[], outputs: unknown[], params: Uint8Array): Promise<void> {
    this.#alive();
    const fn = KERNELS[kernel];
    if (!fn) throw new Error(`webgpu does not implement ${kernel}`);
    const device = this.#ctx.device;
    device.pushErrorScope('validation');
    device.pushErrorScope('out-of-memory');
    try {
      fn(this.#programs, inputs as GpuBuf[], outputs as GpuBuf[], params);
    } finally {
      this.#programs.submit();
    }
    const [oom, invalid] = await Promise.all([device.popErrorScope(), device.popErrorScope()]);
    if (oom) throw new RangeError(`webgpu ${kernel}: out of GPU memory: ${oom.message}`);
    if (invalid) throw new Error(`webgpu ${kernel}: ${invalid.message}`);
    this.#alive();
  }

  details(): Record<string, unknown> {
    return { adapter: this.#ctx.adapterName, via: this.#ctx.source, pipelines: this.#programs.size };
  }
}
