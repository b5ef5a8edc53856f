/** Pieces shared by the differentiable functions. */
import { full, type Tensor } from '../../../core/tensor.js';
import type { BackendOption } from '../../../ops/options.js';
import { graphOf, peekVarId, type Var } from '../var.js';

/** The op options of a function's graph (its backend). */
export function opts(...vars: Var[]): BackendOption {
  const g = graphOf('differentiable function', vars);
  return g.backend ? { backend: g.backend } : {};
}

/** A Var of constant values (no gradient) in the graph of `like`, which takes ownership of the tensor. */
export async function constant(like: Var, t: Tensor | Promise<Tensor>): Promise<Var> {
  return graphOf('constant', [like]).constant(await t);
}

/**
 * Runs fn with a `temp` marker for intermediate Vars. When nothing in the scope (nor the result) requires a
 * gradient, no node refers to the temporaries, so they are freed when fn returns; otherwise the graph keeps them.
 */
export async function scoped<T extends Var | Array<Var | undefined>>(fn: (temp: (v: Var | Promise<Var>) => Promise<Var>) => Promise<T>): Promise<T> {
  const list: Var[] = [];
  const start = peekVarId();
  const res = await fn(async (v) => {
    const r = await v;
    list.push(r);
    return r;
  });
  const outs = (Array.isArray(res) ? res : [res]) as Array<Var | undefined>;
  if (list.some((v) => v.requiresGrad) || outs.some((v) => v?.requiresGrad)) return res;
  const keep = new Set(outs.map((v) => v?.value));
  // only Vars made inside the scope: a function may hand back one of its inputs (sumTo of an equal shape)
  for (const v of list) if (v.id >= start && !v.borrowed && v.graph && !keep.has(v.value)) v.graph.free(v.value);
  return res;
}

/** A tensor of ones, freed by the caller. */
export async function withOnes<T>(shape: readonly number[], fn: (ones: Tensor) => Promise<T>): Promise<T> {
  const ones = full([...shape], 1);
  try {
    return await fn(ones);
  } finally {
    ones.dispose();
  }
}
