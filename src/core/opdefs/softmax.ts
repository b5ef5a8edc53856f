/** Softmax geometry, declared once for every backend: x viewed as [outer, C, inner] around the softmax axis. */
import { pack, SoftmaxParams } from '../params.js';
import { sizeOf, type Shape } from '../shape.js';
import { normAxis } from './strided.js';

/** axis defaults to 1 (the channels of [N, C, ...]); negative counts from the end. */
export function softmaxGeometry(op: string, x: Shape, axis: unknown = 1): { params: Uint8Array; axis: number } {
  const a = normAxis(op, axis, x.length);
  return { params: pack(SoftmaxParams, { outer: sizeOf(x.slice(0, a)), C: x[a], inner: sizeOf(x.slice(a + 1)) }), axis: a };
}
