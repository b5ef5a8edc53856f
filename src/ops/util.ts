/** Small pieces shared by the op files. */
import type { Tensor } from '../core/tensor.js';

/** Option names of ops whose only option is `backend`. */
export const BACKEND_ONLY = new Set(['backend']);

/** Intermediate tensors of a multi-kernel op, disposed when the op ends (also when it throws). */
export async function withTemps<T>(fn: (temp: (t: Tensor | Promise<Tensor>) => Promise<Tensor>) => Promise<T>): Promise<T> {
  const temps: Tensor[] = [];
  try {
    return await fn(async (t) => {
      const v = await t;
      temps.push(v);
      return v;
    });
  } finally {
    for (const t of temps) t.dispose();
  }
}
