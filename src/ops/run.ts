/** Runs one kernel on the chosen backend: moves inputs there, allocates outputs, maps errors to typed ones. */
import { fromBackendError, OutOfMemoryError } from '../core/errors.js';
import { checkShape, shapeString, sizeOf, type Shape } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { resolveBackend, type BackendChoice } from '../backends/registry.js';

export interface KernelCall {
  kernel: string;
  inputs: readonly Tensor[];
  outputs: readonly Shape[];
  params: Uint8Array;
  backend: BackendChoice;
}

export async function runKernel({ kernel, inputs, outputs, params, backend }: KernelCall): Promise<Tensor[]> {
  for (const s of outputs) checkShape(s as number[], `${kernel}: output shape`);
  const locations = new Set(inputs.map((t) => t.location));
  const preferred = locations.size === 1 ? [...locations][0] : undefined;
  const b = await resolveBackend(backend, kernel, preferred);
  const handles = await Promise.all(inputs.map((t) => t.handleOn(b)));
  const outs: unknown[] = [];
  try {
    for (const s of outputs) outs.push(b.alloc(sizeOf(s)));
  } catch (err) {
    outs.forEach((h) => b.free(h));
    if (err instanceof RangeError)
      throw new OutOfMemoryError(`${kernel}: cannot allocate outputs ${outputs.map(shapeString).join(', ')}: ${err.message}`);
    throw fromBackendError(err, `${b.name} ${kernel}`);
  }
  try {
    await b.run(kernel, handles, outs, params);
  } catch (err) {
    outs.forEach((h) => b.free(h));
    throw fromBackendError(err, `${b.name} ${kernel}`);
  }
  return outs.map((h, k) => (b.sharesHostMemory ? Tensor.fromHost(h as Float32Array, outputs[k], b) : Tensor.fromDevice(b, h, outputs[k])));
}
