/**
 * The native addon's surface, typed in one place, and its loader. Loading is lazy (dynamic imports of node:
 * modules) so that browser bundles never touch it.
 */
export interface NativeInfo {
  isa: 'avx512' | 'avx2' | 'portable';
  detectedIsa: string;
  threads: number;
  kernels: string[];
}

export interface NativeBinding {
  runKernel(name: string, inputs: Float32Array[], outputs: Float32Array[], params: Uint8Array): Promise<void>;
  runKernelSync(name: string, inputs: Float32Array[], outputs: Float32Array[], params: Uint8Array): void;
  info(): NativeInfo;
  setNumThreads(n: number): number;
}

let cached: Promise<NativeBinding> | undefined;

/** Loads build/Release/microrecon.node (or MICRORECON_ADDON); rejects with an actionable message. */
export function loadNativeBinding(): Promise<NativeBinding> {
  cached ??= (async () => {
    if (typeof process === 'undefined' || !process.versions?.node) throw new Error('not running in Node.js');
    if (process.env.MICRORECON_DISABLE_NATIVE) throw new Error('disabled by MICRORECON_DISABLE_NATIVE');
    const { createRequire } = await import('node:module');
    const { existsSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { packageRoot } = await import('../core/package-root.js');
    const root = packageRoot();
    const path = process.env.MICRORECON_ADDON ?? join(root, 'build', 'Release', 'microrecon.node');
    if (!existsSync(path))
      throw new Error(`the native addon was not built (${path} is missing): run \`npm run build:native\` (needs cmake and a C++17 compiler)`);
    const require = createRequire(join(root, 'package.json'));
    try {
      return require(path) as NativeBinding;
    } catch (err) {
      throw new Error(`the native addon at ${path} failed to load: ${(err as Error).message}`);
    }
  })();
  return cached;
}
