/** The WebGPU backend's registration: a factory, so nothing GPU-related loads until someone asks for it. */
import { WebGpuBackend } from './backend.js';

// pages and workers alike: anything that is not Node
const inBrowser = typeof process === 'undefined' || !process.versions?.node;

/**
 * Priorities: in browsers above every other backend (200); in Node below the native cpu backend (100) and wasm
 * (50), since without a GPU Dawn runs on SwiftShader, a CPU emulation slower than both.
 */
export const WEBGPU_PRIORITY = inBrowser ? 200 : 40;

export function createWebGpuBackend(): WebGpuBackend {
  return new WebGpuBackend(WEBGPU_PRIORITY);
}

export { WebGpuBackend } from './backend.js';
