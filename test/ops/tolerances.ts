/**
 * Per-op, per-backend tolerances of the differential suite, on the normalised error
 * max|got - want| / (max|want| + 1e-6) against PyTorch computed in float64 (test/golden). Stated once here.
 *
 * cpu (the reference backend; every op must pass): copies are exact; elementwise ops and reductions are within
 * a few float32 ulps; conv / norm / linear sum hundreds of products in float32 in a different order than the
 * float64 reference. The numbers leave ~10x headroom over what the cpu backend measures today.
 * wasm: the same C++ core compiled for wasm (SIMD may reorder sums): cpu's table.
 * cuda / webgpu: fused multiply-adds and parallel reduction orders, and (webgpu) shader exp/log/tanh that are only
 * required to be accurate to a few ulps, hence looser.
 */
import type { BackendName } from '../../src/index.js';

export type OpClass = 'copy' | 'elementwise' | 'transcendental' | 'reduce' | 'softmax' | 'upsample' | 'norm' | 'conv' | 'linear';

const CLASS_OF: Record<string, OpClass> = {
  concat: 'copy', split: 'copy', permute: 'copy', slice: 'copy', expand: 'copy', pad: 'copy',
  relu: 'elementwise', leakyRelu: 'elementwise', abs: 'elementwise', square: 'elementwise', sqrt: 'elementwise',
  add: 'elementwise', sub: 'elementwise', mul: 'elementwise', div: 'elementwise', maximum: 'elementwise', minimum: 'elementwise',
  sigmoid: 'transcendental', tanh: 'transcendental', exp: 'transcendental', log: 'transcendental',
  sum: 'reduce', mean: 'reduce', max: 'reduce', globalAvgPool: 'reduce', globalMaxPool: 'reduce', channelMean: 'reduce', channelMax: 'reduce',
  softmax: 'softmax',
  upsample: 'upsample',
  instanceNorm: 'norm', batchNorm: 'norm',
  conv1d: 'conv', conv2d: 'conv', conv3d: 'conv', convTranspose1d: 'conv', convTranspose2d: 'conv', convTranspose3d: 'conv',
  linear: 'linear', matmul: 'linear',
};

const CPU: Record<OpClass, number> = {
  copy: 1e-6, elementwise: 1e-5, transcendental: 1e-5, reduce: 1e-5, softmax: 1e-5, upsample: 1e-5, norm: 1e-4, conv: 1e-4, linear: 1e-4,
};
const GPU: Record<OpClass, number> = {
  copy: 1e-6, elementwise: 1e-5, transcendental: 1e-4, reduce: 1e-4, softmax: 1e-4, upsample: 1e-5, norm: 1e-3, conv: 1e-3, linear: 1e-3,
};

export const TOLERANCE: Record<BackendName, Record<OpClass, number>> = { cpu: CPU, wasm: CPU, cuda: GPU, webgpu: GPU };

/** Backends that must implement every op: there "unsupported" fails; elsewhere it is reported and skipped. */
export const REFERENCE_BACKENDS: readonly BackendName[] = ['cpu'];

/**
 * Cases a backend is known to fail or not to run, one reason per line, keyed by `<op>` or `<op>/<case name>`.
 * They are reported as skipped with the reason (never silently passed).
 */
export const EXCLUDE: Record<BackendName, Record<string, string>> = {
  cpu: {},
  wasm: {},
  cuda: {},
  webgpu: {},
};

export function classOf(op: string): OpClass {
  const c = CLASS_OF[op];
  if (!c) throw new Error(`test/ops/tolerances.ts: no tolerance class for op '${op}' (add it to CLASS_OF)`);
  return c;
}

export function toleranceOf(backend: BackendName, op: string): number {
  return TOLERANCE[backend][classOf(op)];
}

export function exclusionOf(backend: BackendName, op: string, name: string): string | undefined {
  return EXCLUDE[backend][`${op}/${name}`] ?? EXCLUDE[backend][op];
}
