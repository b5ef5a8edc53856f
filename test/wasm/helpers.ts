/** Shared pieces of the wasm suites: switching the registered wasm backend to one variant, and kernel tracking. */
import { registerBackend, resetBackends } from '../../src/backends/registry.js';
import { WasmBackend } from '../../src/backends/wasm.js';
import { WASM_VARIANTS, type WasmVariant } from '../../src/backends/wasm-binding.js';

export { WASM_VARIANTS, type WasmVariant };

/** Kernel names each variant's backend ran (to prove every kernel was exercised). */
export const kernelsRun = new Map<WasmVariant, Set<string>>();

/** Makes 'wasm' (for ops and 'auto') the given variant, recording the kernels it runs; returns the backend. */
export async function useWasmVariant(variant: WasmVariant): Promise<WasmBackend> {
  const backend = new WasmBackend(variant);
  await backend.init();
  const seen = kernelsRun.get(variant) ?? new Set<string>();
  kernelsRun.set(variant, seen);
  const run = backend.run.bind(backend);
  backend.run = (kernel, ins, outs, params) => {
    seen.add(kernel);
    return run(kernel, ins, outs, params);
  };
  registerBackend('wasm', () => backend);
  resetBackends();
  return backend;
}

/** Every variant, or those named in MICRORECON_TEST_WASM_VARIANTS=plain,simd. */
export function selectedVariants(): WasmVariant[] {
  const v = process.env.MICRORECON_TEST_WASM_VARIANTS?.trim();
  if (!v) return [...WASM_VARIANTS];
  const list = v.split(',').map((s) => s.trim()) as WasmVariant[];
  for (const x of list) if (!WASM_VARIANTS.includes(x)) throw new Error(`MICRORECON_TEST_WASM_VARIANTS: unknown variant ${x}`);
  return list;
}
