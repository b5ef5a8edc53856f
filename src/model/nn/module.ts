/**
 * Module: a named tree of parameters (PyTorch's nn.Module role). Parameter names are dotted paths
 * ("enc.0.mcam.branch1.weight"): the safetensors keys, and the keys the PyTorch reference loads.
 */
import { FormatError, InvalidArgumentError } from '../../core/errors.js';
import { sameShape, shapeString } from '../../core/shape.js';
import { tensor, type Tensor } from '../../core/tensor.js';
import { Parameter } from '../autograd/var.js';
import type { Random } from '../random.js';

export interface HostArray {
  shape: number[];
  data: Float32Array;
}

export abstract class Module {
  #params = new Map<string, Parameter>();
  #children = new Map<string, Module>();

  protected addParam(name: string, value: Tensor): Parameter {
    if (this.#params.has(name) || this.#children.has(name)) throw new InvalidArgumentError(`Module: '${name}' is registered twice`);
    const p = new Parameter(name, value);
    this.#params.set(name, p);
    return p;
  }

  protected addModule<T extends Module>(name: string, m: T): T {
    if (this.#params.has(name) || this.#children.has(name)) throw new InvalidArgumentError(`Module: '${name}' is registered twice`);
    this.#children.set(name, m);
    return m;
  }

  /** [dotted name, parameter] in registration order. */
  namedParameters(prefix = ''): Array<[string, Parameter]> {
    const out: Array<[string, Parameter]> = [];
    for (const [n, p] of this.#params) out.push([prefix + n, p]);
    for (const [n, m] of this.#children) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** name -> shape, for validation and reporting. */
  parameterShapes(): Record<string, number[]> {
    return Object.fromEntries(this.namedParameters().map(([n, p]) => [n, [...p.shape]]));
  }

  /** A host copy of every parameter. */
  async stateDict(): Promise<Map<string, HostArray>> {
    const out = new Map<string, HostArray>();
    for (const [n, p] of this.namedParameters()) out.set(n, { shape: [...p.shape], data: await p.value.read() });
    return out;
  }

  /**
   * Replaces every parameter's values. Names and shapes must match exactly (FormatError naming the first
   * missing, unexpected or mis-shaped entry, or a non-finite value); nothing is changed unless all match.
   */
  loadStateDict(state: ReadonlyMap<string, HostArray>, what = 'weights'): void {
    const named = this.namedParameters();
    const expected = new Set(named.map(([n]) => n));
    for (const n of state.keys()) if (!expected.has(n)) throw new FormatError(`${what}: unexpected tensor '${n}' (not a parameter of this model)`);
    for (const [n, p] of named) {
      const a = state.get(n);
      if (!a) throw new FormatError(`${what}: missing tensor '${n}' (shape ${shapeString(p.shape)})`);
      if (!sameShape(a.shape, p.shape)) throw new FormatError(`${what}: tensor '${n}' has shape ${shapeString(a.shape)}, the model needs ${shapeString(p.shape)}`);
      for (let k = 0; k < a.data.length; k++)
        if (!Number.isFinite(a.data[k])) throw new FormatError(`${what}: tensor '${n}' holds a non-finite value at ${k}`);
    }
    for (const [n, p] of named) {
      const a = state.get(n)!;
      p.assign(tensor(a.data, a.shape));
    }
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** Frees every parameter (and gradient). */
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
  }
}

/** A plain container of named sub-modules (a level of a network). */
export class ModuleDict extends Module {
  add<T extends Module>(name: string, m: T): T {
    return this.addModule(name, m);
  }
}

/** PyTorch's default init for conv/linear weights and biases: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
export function uniformInit(rng: Random, shape: number[], fanIn: number): Tensor {
  const bound = 1 / Math.sqrt(fanIn);
  return tensor(rng.uniformArray(shape.reduce((a, b) => a * b, 1), -bound, bound), shape);
}
