/** The built-in backends, registered with their priorities (higher wins for 'auto'). */
import { registerBackend } from './registry.js';
import { NativeCpuBackend } from './native.js';

registerBackend('cpu', () => new NativeCpuBackend());

export { backends, resetBackends, type BackendChoice } from './registry.js';
export type { BackendStatus } from './types.js';
