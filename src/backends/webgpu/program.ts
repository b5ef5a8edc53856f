/// <reference types="@webgpu/types" />
/**
 * Running WGSL compute programs: parameter structs generated from the shared StructDefs (src/core/params.ts),
 * pipelines cached by shader key, and one dispatch helper. Every kernel file builds on these three.
 *
 * A WGSL uniform array needs a 16-byte element stride, so array fields (shape[6], ...) become scalar members
 * `shape_0..shape_5` plus an accessor `shape(k)`: the member offsets stay those of the packed C struct, and the
 * packed bytes are uploaded unchanged, followed by the kernel's own launch fields (`extras`).
 */
import type { StructDef } from '../../core/params.js';

export const WG = 64;

/** WGSL for the uniform struct `P` of `def` (+ extra i32 launch fields) and accessors for its array fields. */
export function paramStruct(def: StructDef, extras: readonly string[] = []): string {
  const members: string[] = [];
  const accessors: string[] = [];
  for (const [name, type, len] of def.fields) {
    if (len === undefined) {
      members.push(`${name}: ${type},`);
      continue;
    }
    for (let k = 0; k < len; k++) members.push(`${name}_${k}: ${type},`);
    const cases = Array.from({ length: len }, (_, k) => `case ${k}: { return p.${name}_${k}; }`).join(' ');
    accessors.push(`fn ${name}(k: i32) -> ${type} { switch k { ${cases} default: { return ${type}(0); } } }`);
  }
  for (const e of extras) members.push(`${e}: i32,`);
  return `struct P {\n  ${members.join('\n  ')}\n}\n@group(0) @binding(0) var<uniform> p: P;\n${accessors.join('\n')}\n`;
}

/** Packed struct bytes followed by the extra i32 fields, padded to 16 bytes. */
export function uniformBytes(packed: Uint8Array, extras: readonly number[] = []): Uint8Array {
  const size = Math.ceil((packed.byteLength + 4 * extras.length) / 16) * 16 || 16;
  const out = new Uint8Array(size);
  out.set(packed);
  const view = new DataView(out.buffer);
  extras.forEach((v, k) => view.setInt32(packed.byteLength + 4 * k, v, true));
  return out;
}

/** `var<storage>` declarations for bindings 1.. (inputs read-only, outputs read_write). */
export function storageDecls(inputs: readonly string[], outputs: readonly string[]): string {
  const lines: string[] = [];
  let b = 1;
  for (const n of inputs) lines.push(`@group(0) @binding(${b++}) var<storage, read> ${n}: array<f32>;`);
  for (const n of outputs) lines.push(`@group(0) @binding(${b++}) var<storage, read_write> ${n}: array<f32>;`);
  return lines.join('\n') + '\n';
}

/** The entry point of a one-thread-per-item kernel: `i` runs over [0, count) across a 2D grid. */
export function entry(count: string, body: string): string {
  return `@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = i32(gid.x + gid.y * nwg.x * ${WG}u);
  if (i >= ${count}) { return; }
${body}
}
`;
}

export interface Dispatch {
  /** cache key: everything the generated source depends on */
  key: string;
  source: () => string;
  /** uniform bytes for binding 0 */
  uniform: Uint8Array;
  /** bindings 1.. in declaration order */
  buffers: readonly GPUBuffer[];
  /** workgroups needed (1D count; spread over x/y when above the per-dimension limit) */
  workgroups: number;
}

export class Programs {
  readonly #device: GPUDevice;
  readonly #cache = new Map<string, GPUComputePipeline>();
  #encoder: GPUCommandEncoder | null = null;
  #temps: GPUBuffer[] = [];

  constructor(device: GPUDevice) {
    this.#device = device;
  }

  get size(): number {
    return this.#cache.size;
  }

  #pipeline(key: string, source: () => string): GPUComputePipeline {
    let p = this.#cache.get(key);
    if (!p) {
      const module = this.#device.createShaderModule({ code: source(), label: key });
      p = this.#device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: key });
      this.#cache.set(key, p);
    }
    return p;
  }

  /** A buffer freed after the next submit (uniforms, lookup tables, scratch). */
  temp(bytes: number, usage: number, data?: ArrayBufferView): GPUBuffer {
    const b = this.#device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 4) * 4), usage: usage | GPUBufferUsage.COPY_DST });
    if (data) this.#device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
    this.#temps.push(b);
    return b;
  }

  /** Host values as a temporary read-only storage buffer (f32 or i32 tables). */
  table(data: Float32Array | Int32Array): GPUBuffer {
    return this.temp(data.byteLength, GPUBufferUsage.STORAGE, data);
  }

  /** Records one dispatch into the current command encoder; submit() sends them. */
  dispatch(d: Dispatch): void {
    if (d.workgroups <= 0) return;
    const pipeline = this.#pipeline(d.key, d.source);
    const uni = this.temp(d.uniform.byteLength, GPUBufferUsage.UNIFORM, d.uniform);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uni } }];
    d.buffers.forEach((buffer, k) => entries.push({ binding: k + 1, resource: { buffer } }));
    const group = this.#device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    this.#encoder ??= this.#device.createCommandEncoder();
    const pass = this.#encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    const maxX = 65535;
    const x = Math.min(d.workgroups, maxX);
    pass.dispatchWorkgroups(x, Math.ceil(d.workgroups / x));
    pass.end();
  }

  /** Records a buffer fill with zeros. */
  clear(buffer: GPUBuffer): void {
    this.#encoder ??= this.#device.createCommandEncoder();
    this.#encoder.clearBuffer(buffer);
  }

  submit(): void {
    if (this.#encoder) this.#device.queue.submit([this.#encoder.finish()]);
    this.#encoder = null;
    for (const b of this.#temps) b.destroy();
    this.#temps = [];
  }
}

/** Workgroups for `n` one-thread items. */
export const groupsFor = (n: number) => Math.ceil(n / WG);
