/**
 * Upsampling geometry, declared once for every backend: x [N, C, L] / [N, C, H, W] / [N, C, D, H, W] resized to
 * `size` or floor(in * scaleFactor), as the canonical 3D UpsampleParams (missing leading axes have size 1).
 * Semantics are PyTorch's F.interpolate with recompute_scale_factor=True: the source coordinate uses in/out, so
 * a non-integer scaleFactor maps exactly like passing the resulting size.
 */
import { InvalidArgumentError } from '../errors.js';
import { pack, UpsampleParams } from '../params.js';
import { checkSize, shapeString, sizeOf, type Shape } from '../shape.js';

export type UpsampleMode = 'nearest' | 'linear' | 'bilinear' | 'trilinear';

export interface UpsampleOptions {
  /** output size per spatial axis (one number for all axes); exactly one of size / scaleFactor */
  size?: number | number[];
  /** output = floor(input * scaleFactor) per spatial axis */
  scaleFactor?: number | number[];
  /** 'nearest' (default), or the linear mode of the rank: 'linear' (3D), 'bilinear' (4D), 'trilinear' (5D) */
  mode?: UpsampleMode;
  /** linear modes only: corner pixels of input and output are aligned (default false) */
  alignCorners?: boolean;
}

export const UPSAMPLE_OPTIONS = ['size', 'scaleFactor', 'mode', 'alignCorners'] as const;

const LINEAR_OF_RANK: Record<number, UpsampleMode> = { 3: 'linear', 4: 'bilinear', 5: 'trilinear' };
const MODES: readonly UpsampleMode[] = ['nearest', 'linear', 'bilinear', 'trilinear'];

function perAxis(op: string, name: string, v: unknown, nd: number, check: (x: unknown, what: string) => number): number[] {
  if (typeof v === 'number') return new Array(nd).fill(check(v, `${op}: ${name}`));
  if (Array.isArray(v) && v.length === nd) return v.map((x, k) => check(x, `${op}: ${name}[${k}]`));
  throw new InvalidArgumentError(`${op}: ${name} must be a number or an array of ${nd} numbers (one per spatial axis), got ${JSON.stringify(v)}`);
}

const positiveInt = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new InvalidArgumentError(`${what} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
};
const positiveNumber = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new InvalidArgumentError(`${what} must be a positive finite number, got ${JSON.stringify(v)}`);
  return v;
};

export function upsampleGeometry(op: string, x: Shape, o: UpsampleOptions = {}): { params: Uint8Array; outShape: number[] } {
  const rank = x.length;
  if (rank < 3 || rank > 5)
    throw new InvalidArgumentError(`${op}: input must have rank 3, 4 or 5 ([N, C, L], [N, C, H, W] or [N, C, D, H, W]), got ${shapeString(x)}`);
  const nd = rank - 2;
  const mode = o.mode ?? 'nearest';
  if (!MODES.includes(mode)) throw new InvalidArgumentError(`${op}: mode must be one of ${MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  if (mode !== 'nearest' && mode !== LINEAR_OF_RANK[rank])
    throw new InvalidArgumentError(`${op}: mode '${mode}' does not fit a rank-${rank} input ${shapeString(x)} (use 'nearest' or '${LINEAR_OF_RANK[rank]}')`);
  const alignCorners = o.alignCorners ?? false;
  if (typeof alignCorners !== 'boolean') throw new InvalidArgumentError(`${op}: alignCorners must be a boolean, got ${JSON.stringify(alignCorners)}`);
  if (alignCorners && mode === 'nearest') throw new InvalidArgumentError(`${op}: alignCorners applies to linear modes only, not 'nearest'`);
  if ((o.size === undefined) === (o.scaleFactor === undefined))
    throw new InvalidArgumentError(`${op}: give exactly one of size and scaleFactor`);
  const sp = x.slice(2);
  const out =
    o.size !== undefined
      ? perAxis(op, 'size', o.size, nd, positiveInt)
      : perAxis(op, 'scaleFactor', o.scaleFactor, nd, positiveNumber).map((s, a) => {
          const n = Math.floor(sp[a] * s);
          if (n < 1) throw new InvalidArgumentError(`${op}: scaleFactor ${s} shrinks axis ${a} of size ${sp[a]} to nothing`);
          return n;
        });
  const outShape = [x[0], x[1], ...out];
  checkSize(sizeOf(outShape), `${op}: output ${shapeString(outShape)}`);
  const [inD, inH, inW] = [...new Array(3 - nd).fill(1), ...sp];
  const [outD, outH, outW] = [...new Array(3 - nd).fill(1), ...out];
  const params = pack(UpsampleParams, {
    N: x[0], C: x[1], inD, inH, inW, outD, outH, outW, mode: mode === 'nearest' ? 0 : 1, alignCorners: alignCorners ? 1 : 0,
  });
  return { params, outShape };
}
