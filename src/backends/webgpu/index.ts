/** The WebGPU backend's registration: a factory, so nothing GPU-related loads until someone asks for it. */
import { WebGpuBackend } from './backend.js';

const inBrowser = typeof (globalThis as { window?: unknown }).window !== 'undefined';

/** Priorities: in browsers above wasm and cpu-less 'auto' picks; in Node below the native cpu backend (100). */
export const WEBGPU_PRIORITY = inBrowser ? 200 : 50;

export function createWebGpuBackend(): WebGpuBackend {
  return new WebGpuBackend(WEBGPU_PRIORITY);
}

export { WebGpuBackend } from './backend.js';
