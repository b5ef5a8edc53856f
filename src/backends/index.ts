/** The built-in backends, registered with their priorities (higher wins for 'auto'). */
import { registerBackend } from './registry.js';
import { NativeCpuBackend } from './native.js';
import { WasmBackend } from './wasm.js';
import { createWebGpuBackend } from './webgpu/index.js';

registerBackend('cpu', () => new NativeCpuBackend());
registerBackend('wasm', () => new WasmBackend());
registerBackend('webgpu', createWebGpuBackend);

export { backends, resetBackends, type BackendChoice } from './registry.js';
export type { BackendStatus } from './types.js';
export { configureWasm, type WasmConfig, type WasmVariant } from './wasm-binding.js';
