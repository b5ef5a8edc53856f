/**
 * The WebAssembly module's surface (wasm/api.cpp), typed in one place, and its loader: picks a variant by feature
 * detection and loads the emscripten factory from the package (Node) or from a base URL (browsers). Node-only
 * modules are imported lazily so that browser bundles never touch them.
 */
export type WasmVariant = 'plain' | 'simd' | 'simd-threads';
export const WASM_VARIANTS: readonly WasmVariant[] = ['plain', 'simd', 'simd-threads'];

/** The exports of wasm/api.cpp (pointers are unsigned; read them with `>>> 0`). */
export interface WasmModule {
  _mr_alloc(n: number): number;
  _mr_free(handle: number): void;
  _mr_data(handle: number): number;
  _mr_run(nIn: number, nOut: number, paramsBytes: number): number;
  _mr_last_error(): number;
  _mr_kernels(): number;
  _mr_threads(): number;
  _mr_set_threads(n: number): number;
  _mr_variant(): number;
  _mr_arg_inputs(): number;
  _mr_arg_outputs(): number;
  _mr_arg_params(): number;
  _mr_arg_name(): number;
  _mr_arg_capacity(): number;
  UTF8ToString(ptr: number): string;
  /** views emscripten refreshes after memory growth (single-threaded builds) */
  HEAPU8: Uint8Array;
  /** the shared memory (threaded build), whose .buffer is always current */
  wasmMemory?: WebAssembly.Memory;
  /** emscripten's worker pool (threaded build) */
  PThread?: { unusedWorkers: Array<{ unref?(): void }>; runningWorkers: Array<{ unref?(): void }> };
}

type Factory = (opts: Record<string, unknown>) => Promise<WasmModule>;

export interface WasmConfig {
  /** force a variant (default: the best this engine supports; env MICRORECON_WASM_VARIANT in Node) */
  variant?: WasmVariant;
  /** browsers: the URL of the folder holding microrecon-<variant>.{js,wasm} (default: the package's wasm/dist/) */
  baseUrl?: string;
}

const config: WasmConfig = {};

/** Sets where and which WebAssembly module the wasm backend loads (call before its first use). */
export function configureWasm(c: WasmConfig): void {
  if (c.variant !== undefined && !WASM_VARIANTS.includes(c.variant))
    throw new Error(`configureWasm: variant must be one of ${WASM_VARIANTS.join(', ')}, got ${JSON.stringify(c.variant)}`);
  Object.assign(config, c);
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

// (module (func (result v128) i32.const 0 i8x16.splat)): validates only where SIMD128 is supported.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7b, 3, 2, 1, 0, 10, 8, 1, 6, 0, 0x41, 0, 0xfd, 0x0f, 0x0b]);

export function simdSupported(): boolean {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/** Threads need SharedArrayBuffer; in browsers only cross-origin isolated pages have it. */
export function threadsSupported(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  if (isNode) return true;
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

/** The variant to load: forced by configureWasm / MICRORECON_WASM_VARIANT, else the best supported. */
export function chooseVariant(): WasmVariant {
  const forced = config.variant ?? (isNode ? (process.env.MICRORECON_WASM_VARIANT as WasmVariant | undefined) || undefined : undefined);
  const simd = simdSupported();
  if (forced) {
    if (!WASM_VARIANTS.includes(forced)) throw new Error(`MICRORECON_WASM_VARIANT must be one of ${WASM_VARIANTS.join(', ')}, got ${JSON.stringify(forced)}`);
    if (forced !== 'plain' && !simd) throw new Error(`the ${forced} variant needs WebAssembly SIMD, which this engine lacks`);
    if (forced === 'simd-threads' && !threadsSupported()) throw new Error('the simd-threads variant needs SharedArrayBuffer (in browsers: a cross-origin isolated page)');
    return forced;
  }
  if (!simd) return 'plain';
  return threadsSupported() ? 'simd-threads' : 'simd';
}

/** Instantiates a variant of the module (every call gives a fresh instance with its own memory). */
export async function loadWasmModule(variant: WasmVariant): Promise<WasmModule> {
  if (typeof WebAssembly !== 'object') throw new Error('WebAssembly is not available in this JavaScript engine');
  const file = `microrecon-${variant}`;
  if (isNode && !config.baseUrl) {
    const { createRequire } = await import('node:module');
    const { existsSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { packageRoot } = await import('../core/package-root.js');
    const dir = join(packageRoot(), 'wasm', 'dist');
    const js = join(dir, `${file}.js`);
    if (!existsSync(js)) throw new Error(`the WebAssembly module is missing (${js}): run \`npm run build:wasm\` (needs emscripten)`);
    const factory = createRequire(join(dir, 'package.json'))(js) as Factory;
    // Node's fetch() cannot read file paths: hand emscripten the bytes.
    return factory({ wasmBinary: readFileSync(join(dir, `${file}.wasm`)) });
  }
  const base = config.baseUrl ?? new URL('../wasm/dist/', import.meta.url).href;
  const jsUrl = new URL(`${file}.js`, base.endsWith('/') ? base : `${base}/`).href;
  const res = await fetch(jsUrl);
  if (!res.ok) throw new Error(`cannot fetch the WebAssembly loader ${jsUrl}: HTTP ${res.status}`);
  // The loader is a CommonJS/script factory: evaluate it with a private `module` (works in pages and workers).
  const mod: { exports: unknown } = { exports: {} };
  new Function('module', 'exports', await res.text())(mod, mod.exports);
  const factory = mod.exports as Factory;
  return factory({
    locateFile: (path: string) => new URL(path, jsUrl).href,
    mainScriptUrlOrBlob: jsUrl, // pthread workers load the loader again from here
  });
}
