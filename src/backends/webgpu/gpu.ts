/// <reference types="@webgpu/types" />
/**
 * Where the GPU object comes from: `navigator.gpu` in browsers, the optional `webgpu` npm package (Dawn) in
 * Node. The package is imported lazily so that the cpu path and browser bundles never need it.
 */

/** The device and what we learnt about the adapter, or a thrown Error with the reason. */
export interface GpuContext {
  device: GPUDevice;
  /**
   * Held for the device's lifetime: Dawn's Node binding frees its instance when the object from create() is
   * collected, and then crashed (at a random GC) while the device still had work in flight.
   */
  owners: readonly object[];
  adapterName: string;
  /** 'navigator.gpu' or 'webgpu (Dawn)' */
  source: string;
}

async function gpuObject(): Promise<{ gpu: GPU; source: string; retry?: () => GPU }> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu, source: 'navigator.gpu' };
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (!isNode) throw new Error('this browser has no WebGPU (navigator.gpu is missing)');
  if (process.env.MICRORECON_DISABLE_WEBGPU) throw new Error('disabled by MICRORECON_DISABLE_WEBGPU');
  let mod: { create(flags: string[]): GPU; globals: Record<string, unknown> };
  try {
    // a variable specifier keeps bundlers from pulling the Node-only package into browser builds
    const name = 'webgpu';
    mod = (await import(/* @vite-ignore */ name)) as typeof mod;
  } catch (err) {
    throw new Error(`the optional 'webgpu' npm package (Dawn for Node) is not installed: npm install webgpu (${(err as Error).message.split('\n')[0]})`);
  }
  // GPUBufferUsage and friends are globals in browsers; Dawn's package provides them for Node
  for (const [k, v] of Object.entries(mod.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  await preferSwiftShaderWithoutGpu();
  return { gpu: mod.create([]), source: 'webgpu (Dawn)', retry: () => mod.create([]) };
}

/** Debian's chromium ships SwiftShader, a CPU Vulkan driver Dawn can use where no GPU driver works. */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * Node without VK_ICD_FILENAMES on a machine with no GPU device node (/dev/dri/renderD*, /dev/nvidia*): use
 * SwiftShader directly, when installed, instead of letting Dawn try (and warn about) other software drivers.
 */
async function preferSwiftShaderWithoutGpu(): Promise<void> {
  if (process.env.VK_ICD_FILENAMES) return;
  const { existsSync, readdirSync } = await import('node:fs');
  if (!existsSync(SWIFTSHADER_ICD)) return;
  const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
  const gpuNodes = [...list('/dev/dri').filter((f) => f.startsWith('render')), ...list('/dev').filter((f) => /^nvidia\d/.test(f))];
  if (!gpuNodes.length) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}

/**
 * Node without VK_ICD_FILENAMES: when the system's Vulkan drivers give no adapter (none, or too old), retry once
 * with SwiftShader if it is installed. The Vulkan loader reads the variable when Dawn creates its instance.
 */
async function swiftShaderRetry(retry: (() => GPU) | undefined, owners: object[]): Promise<GPUAdapter | null> {
  if (!retry || process.env.VK_ICD_FILENAMES) return null;
  const { existsSync } = await import('node:fs');
  if (!existsSync(SWIFTSHADER_ICD)) return null;
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const gpu = retry();
  owners.push(gpu);
  return gpu.requestAdapter();
}

/** Requests an adapter and a device with the adapter's largest buffer limits. */
export async function openGpu(): Promise<GpuContext> {
  const { gpu, source, retry } = await gpuObject();
  const owners: object[] = [gpu];
  const adapter = (await gpu.requestAdapter({ powerPreference: 'high-performance' })) ?? (await swiftShaderRetry(retry, owners));
  if (!adapter) {
    const hint = source.startsWith('webgpu')
      ? ' (without a GPU, install Debian chromium for SwiftShader and set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)'
      : '';
    throw new Error(`no WebGPU adapter was found${hint}`);
  }
  const lim = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
      maxBufferSize: lim.maxBufferSize,
      maxStorageBuffersPerShaderStage: Math.min(lim.maxStorageBuffersPerShaderStage, 10),
      maxComputeWorkgroupsPerDimension: lim.maxComputeWorkgroupsPerDimension,
    },
  });
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  const adapterName = [info?.vendor, info?.architecture, info?.device, info?.description].filter(Boolean).join(' ') || 'unknown adapter';
  owners.push(adapter);
  return { device, owners, adapterName, source };
}
