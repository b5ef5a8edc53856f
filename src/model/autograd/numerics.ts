/** Numerical guards for training: finite checks on losses and gradients, gradient norms and clipping. */
import { InvalidArgumentError } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import * as ops from '../../ops/index.js';
import { Var, type Parameter } from './var.js';

/** A loss or gradient became NaN or infinite (code ERR_INVALID_ARGUMENT; `where` names it). */
export class NonFiniteError extends InvalidArgumentError {
  readonly where: string;
  constructor(where: string, message?: string) {
    super(message ?? `${where} is not finite (NaN or infinity)`);
    this.where = where;
  }
}

const tensorOf = (v: Tensor | Var): Tensor => (v instanceof Var ? v.value : v);

/** True when every value is finite. */
export async function isFinite(v: Tensor | Var): Promise<boolean> {
  const a = await tensorOf(v).read();
  for (let k = 0; k < a.length; k++) if (!Number.isFinite(a[k])) return false;
  return true;
}

/** The first non-finite one's index, or -1 (null/undefined entries are skipped). */
export async function firstNonFinite(vs: ReadonlyArray<Tensor | Var | null | undefined>): Promise<number> {
  for (let k = 0; k < vs.length; k++) {
    const v = vs[k];
    if (v && !(await isFinite(v))) return k;
  }
  return -1;
}

/** Throws NonFiniteError when a value is NaN/Inf. */
export async function assertFinite(what: string, v: Tensor | Var): Promise<void> {
  if (!(await isFinite(v))) throw new NonFiniteError(what);
}

/** True when every parameter's gradient (where present) is finite. */
export async function gradsFinite(params: Iterable<Parameter>): Promise<boolean> {
  for (const p of params) if (p.grad && !(await isFinite(p.grad))) return false;
  return true;
}

/** The global L2 norm of the parameters' gradients (float64 accumulation). */
export async function gradNorm(params: Iterable<Parameter>): Promise<number> {
  let s = 0;
  for (const p of params) {
    if (!p.grad) continue;
    const a = await p.grad.read();
    for (let k = 0; k < a.length; k++) s += a[k] * a[k];
  }
  return Math.sqrt(s);
}

/**
 * Scales all gradients so that their global norm is at most maxNorm (PyTorch's clip_grad_norm_, with its
 * 1e-6 guard). Returns the norm before clipping; a non-finite norm leaves the gradients alone.
 */
export async function clipGradNorm(params: Parameter[], maxNorm: number): Promise<number> {
  if (!(maxNorm > 0)) throw new InvalidArgumentError(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const norm = await gradNorm(params);
  if (!Number.isFinite(norm)) return norm;
  const c = maxNorm / (norm + 1e-6);
  if (c >= 1) return norm;
  for (const p of params) {
    if (!p.grad) continue;
    const s = await ops.affine(p.grad, c, 0);
    p.grad.dispose();
    p.grad = s;
  }
  return norm;
}
