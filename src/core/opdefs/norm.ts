/**
 * Normalisation geometry, declared once for every backend: x [N, C, ...spatial] viewed as [N, C, S], statistics
 * (mean, rstd = 1/sqrt(biased var + eps)) per (n, c) for instance norm ([N, C]) and per c for batch norm ([C]).
 */
import { InvalidArgumentError } from '../errors.js';
import { NormParams, pack } from '../params.js';
import { shapeString, sizeOf, type Shape } from '../shape.js';

export type NormMode = 'instance' | 'batch';

export interface NormGeometry {
  params: Uint8Array;
  N: number;
  C: number;
  S: number;
  /** shape of mean / rstd: [N, C] (instance) or [C] (batch) */
  statsShape: number[];
  /** shape that broadcasts a [C] tensor against x: [1, C, 1, ...] */
  channelShape: number[];
}

/** eps > 0 and finite (default 1e-5, PyTorch's). */
export function checkEps(op: string, eps: unknown): number {
  const e = eps ?? 1e-5;
  if (typeof e !== 'number' || !Number.isFinite(e) || e <= 0) throw new InvalidArgumentError(`${op}: eps must be a positive finite number, got ${JSON.stringify(eps)}`);
  return e;
}

/** momentum in [0, 1] (default 0.1, PyTorch's): running = (1 - momentum) * running + momentum * batch. */
export function checkMomentum(op: string, momentum: unknown): number {
  const m = momentum ?? 0.1;
  if (typeof m !== 'number' || !Number.isFinite(m) || m < 0 || m > 1)
    throw new InvalidArgumentError(`${op}: momentum must be a number in [0, 1], got ${JSON.stringify(momentum)}`);
  return m;
}

/**
 * Validates x for instance norm (rank >= 3, more than one spatial element) or batch norm (rank >= 2; in
 * training more than one value per channel) and packs NormParams.
 */
export function normGeometry(op: string, mode: NormMode, x: Shape, hasAffine: boolean, eps: number, training = true): NormGeometry {
  const minRank = mode === 'instance' ? 3 : 2;
  if (x.length < minRank)
    throw new InvalidArgumentError(`${op}: input must have rank >= ${minRank} ([N, C${mode === 'instance' ? ', ...spatial' : ', ...'}]), got ${shapeString(x)}`);
  const [N, C] = x;
  const S = sizeOf(x.slice(2));
  if (mode === 'instance' && S < 2) throw new InvalidArgumentError(`${op}: input ${shapeString(x)} has one spatial element per channel; instance norm needs more than one`);
  if (mode === 'batch' && training && N * S < 2)
    throw new InvalidArgumentError(`${op}: input ${shapeString(x)} has one value per channel; batch norm in training needs more than one`);
  return {
    params: pack(NormParams, { N, C, S, mode: mode === 'instance' ? 0 : 1, hasAffine: hasAffine ? 1 : 0, eps }),
    N, C, S,
    statsShape: mode === 'instance' ? [N, C] : [C],
    channelShape: [1, C, ...new Array(x.length - 2).fill(1)],
  };
}
