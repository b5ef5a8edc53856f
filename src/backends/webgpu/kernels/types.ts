/// <reference types="@webgpu/types" />
/** What a WebGPU kernel receives: the program runner, buffers of its inputs and outputs, and the packed params. */
import type { Programs } from '../program.js';

/** A tensor's storage on the GPU: the buffer and its length in floats (the buffer may be padded). */
export interface GpuBuf {
  buffer: GPUBuffer;
  size: number;
}

export type GpuKernel = (g: Programs, ins: readonly GpuBuf[], outs: readonly GpuBuf[], params: Uint8Array) => void;
