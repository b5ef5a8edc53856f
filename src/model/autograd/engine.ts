/**
 * Reverse-mode autograd, part 2: the backward pass.
 *
 * grad(outputs, inputs) walks the nodes reachable from `outputs` in reverse creation order (a topological order,
 * since inputs are made before outputs), calls each node's backward only for the inputs that lead to a wanted
 * Var, and sums gradients that meet. With createGraph the backward functions record nodes of their own, so the
 * returned gradients can be differentiated again (the WGAN-GP penalty). Without it, every intermediate gradient
 * is freed as soon as it has been used, so a backward pass needs little more memory than its forward pass.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import { sameShape, shapeString } from '../../core/shape.js';
import { full, type Tensor } from '../../core/tensor.js';
import * as ops from '../../ops/index.js';
import { Parameter, Var, graphOf, peekVarId } from './var.js';
import { add, alias } from './functions/pointwise.js';

export interface GradOptions {
  /** gradient of each output (default: ones, for scalar losses) */
  gradOutputs?: Array<Var | Tensor | undefined>;
  /** record the backward pass so that the gradients can be differentiated (default false) */
  createGraph?: boolean;
  /** return null for inputs the outputs do not depend on, instead of throwing (default false) */
  allowUnused?: boolean;
}

/** Gradients of sum_k <outputs[k], gradOutputs[k]> with respect to each of `inputs`, as Vars of the graph. */
export async function grad(outputs: Var[], inputs: Var[], o: GradOptions = {}): Promise<Array<Var | null>> {
  const createGraph = o.createGraph ?? false;
  if (!outputs.length) throw new InvalidArgumentError('grad: no outputs');
  const g = graphOf('grad', outputs);
  if (!g.grad) throw new InvalidArgumentError('grad: the graph was made with { grad: false }');
  outputs.forEach((v, k) => {
    if (!v.requiresGrad) throw new InvalidArgumentError(`grad: outputs[${k}] does not require a gradient (nothing it depends on does)`);
  });
  const start = peekVarId();

  // every Var reachable from the outputs through nodes
  const seen = new Map<number, Var>();
  const stack = [...outputs];
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v.id)) continue;
    seen.set(v.id, v);
    if (v.node) for (const i of v.node.inputs) if (i.requiresGrad && !seen.has(i.id)) stack.push(i);
  }
  const targets = new Set(inputs.map((v) => v.id));
  const order = [...seen.values()].sort((a, b) => a.id - b.id);
  // leads[v]: a wanted input is v itself or lies behind v
  const leads = new Map<number, boolean>();
  for (const v of order) leads.set(v.id, targets.has(v.id) || (v.node?.inputs.some((i) => leads.get(i.id) === true) ?? false));

  const grads = new Map<number, Var>();
  /** gradients made during this call that nothing else holds: freed once used (without createGraph) */
  const temps = new Set<Var>();
  const free = (v: Var) => {
    if (!createGraph && temps.delete(v)) g.free(v.value);
  };
  const accumulate = async (v: Var, gv: Var) => {
    const prev = grads.get(v.id);
    if (!prev) {
      grads.set(v.id, gv);
      return;
    }
    const s = await add(prev, gv);
    if (!createGraph) temps.add(s);
    free(prev);
    free(gv);
    grads.set(v.id, s);
  };

  for (let k = 0; k < outputs.length; k++) {
    const out = outputs[k];
    const given = o.gradOutputs?.[k];
    let gv: Var;
    if (given === undefined) {
      gv = g.constant(full([...out.shape], 1));
      temps.add(gv);
    } else {
      gv = given instanceof Var ? given : g.input(given);
      if (!sameShape(gv.shape, out.shape))
        throw new InvalidArgumentError(`grad: gradOutputs[${k}] has shape ${shapeString(gv.shape)}, outputs[${k}] has ${shapeString(out.shape)}`);
    }
    await accumulate(out, gv);
  }

  for (let n = order.length - 1; n >= 0; n--) {
    const v = order[n];
    const gv = grads.get(v.id);
    if (!gv || !v.node || !leads.get(v.id)) continue;
    const node = v.node;
    const needs = node.inputs.map((i) => i.requiresGrad && leads.get(i.id) === true);
    if (!needs.some(Boolean)) continue;
    const ins = createGraph ? node.inputs : node.inputs.map((i) => i.detach(g));
    const out = createGraph ? v : v.detach(g);
    const gy = createGraph ? gv : gv.requiresGrad ? gv.detach(g) : gv;
    let results: Array<Var | undefined>;
    try {
      results = await node.backward(gy, ins, out, needs);
    } catch (err) {
      if (err instanceof Error) err.message = `${err.message} (in the backward of ${node.name})`;
      throw err;
    }
    const claimed = new Set<Var>([gv, gy]);
    for (let k = 0; k < node.inputs.length; k++) {
      let r = results[k];
      if (!needs[k] || !r) continue;
      if (!sameShape(r.shape, node.inputs[k].shape))
        throw new InvalidArgumentError(`grad: the backward of ${node.name} gave input ${k} a gradient of shape ${shapeString(r.shape)}, expected ${shapeString(node.inputs[k].shape)}`);
      // a gradient shared with something else (the incoming gy, another input, a forward value) gets a view
      if (!createGraph && (claimed.has(r) || r.id < start || r.borrowed)) r = await alias(r);
      claimed.add(r);
      if (!createGraph) temps.add(r);
      await accumulate(node.inputs[k], r);
    }
    if (!targets.has(v.id)) {
      grads.delete(v.id);
      free(gv);
    }
  }

  return inputs.map((v, k) => {
    const r = grads.get(v.id);
    if (r) {
      temps.delete(r);
      return r;
    }
    if (!o.allowUnused) throw new InvalidArgumentError(`grad: inputs[${k}] (${v.toString()}) is not used by the outputs (pass allowUnused: true)`);
    return null;
  });
}

/**
 * Backward of a scalar loss into parameters: each parameter's `grad` (a tensor it owns) gets the gradient added.
 * Parameters the loss does not depend on are left alone. Returns the parameters that received a gradient.
 */
export async function backward(loss: Var, params: Parameter[], o: { gradOutput?: Tensor } = {}): Promise<Parameter[]> {
  if (loss.size !== 1 && !o.gradOutput) throw new InvalidArgumentError(`backward: the loss has ${loss.size} values; pass gradOutput or reduce it to one`);
  const gs = await grad([loss], params, { allowUnused: true, gradOutputs: o.gradOutput ? [o.gradOutput] : undefined });
  const got: Parameter[] = [];
  for (let k = 0; k < params.length; k++) {
    const gk = gs[k];
    if (!gk) continue;
    const p = params[k];
    const mine = gk.value.reshape([...gk.shape]);
    if (!p.grad) p.grad = mine;
    else {
      const s = await ops.add(p.grad, mine);
      p.grad.dispose();
      mine.dispose();
      p.grad = s;
    }
    got.push(p);
  }
  return got;
}

/** Clears the gradients of parameters. */
export function zeroGrad(params: Iterable<Parameter>): void {
  for (const p of params) p.zeroGrad();
}
