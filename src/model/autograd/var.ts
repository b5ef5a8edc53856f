/**
 * Reverse-mode autograd, part 1: the values.
 *
 * - `Var` wraps a Tensor. A Var made by a differentiable function (see ./functions) records a `Node` (its inputs
 *   and a backward function) when any input requires a gradient. Backward functions are written with the same
 *   differentiable functions, so gradients can themselves be differentiated (createGraph; WGAN-GP).
 * - `Parameter` is a leaf Var that lives outside any graph (weights): it survives graph disposal, its value can be
 *   replaced by an optimiser, and it carries an accumulated `grad` tensor that it owns.
 * - `Graph` owns every tensor made while it is in use (forward values, saved statistics, gradients) and frees them
 *   all in `dispose()`: memory is released deterministically, never left to the garbage collector.
 *
 * Rule kept by every function: each Var made by a function holds a Tensor object of its own (a view when the
 * values are shared), so a Tensor object is freed exactly once and only by its owner.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import type { BackendChoice } from '../../backends/registry.js';

let nextId = 1;

/** The id the next Var will get (Vars made from here on are newer). */
export const peekVarId = () => nextId;

/**
 * Gradients of a node's inputs from the gradient `gy` of its output. `inputs` and `output` are the node's own
 * Vars when the backward pass builds a graph (createGraph), detached copies otherwise; `needs[k]` says whether
 * input k's gradient is wanted (return undefined for the others).
 */
export type BackwardFn = (gy: Var, inputs: readonly Var[], output: Var, needs: readonly boolean[]) => Promise<Array<Var | undefined>>;

export interface Node {
  /** the function's name (for errors and debugging) */
  readonly name: string;
  readonly inputs: readonly Var[];
  readonly backward: BackwardFn;
}

export class Var {
  /** creation order: inputs are always older than outputs (the engine's topological order) */
  readonly id = nextId++;
  protected _value: Tensor;
  readonly requiresGrad: boolean;
  /** the graph that owns the value; null for parameters */
  readonly graph: Graph | null;
  readonly node: Node | undefined;
  /** @internal a detached copy sharing another Var's tensor: never freed through this Var */
  readonly borrowed: boolean;

  /** @internal use Graph.input / Graph.constant, Parameter, or the functions */
  constructor(value: Tensor, graph: Graph | null, requiresGrad: boolean, node?: Node, borrowed = false) {
    this._value = value;
    this.graph = graph;
    this.requiresGrad = requiresGrad;
    this.node = node;
    this.borrowed = borrowed;
  }

  get value(): Tensor {
    return this._value;
  }

  get shape(): readonly number[] {
    return this._value.shape;
  }

  get size(): number {
    return this._value.size;
  }

  /** The same values with no gradient history (shares the tensor; the owner frees it). */
  detach(graph: Graph | null = this.graph): Var {
    return new Var(this._value, graph, false, undefined, true);
  }

  /** A copy of the values. */
  read(): Promise<Float32Array> {
    return this._value.read();
  }

  /** The single value of a one-element Var (a loss). */
  async item(): Promise<number> {
    if (this._value.size !== 1) throw new InvalidArgumentError(`item: the Var has ${this._value.size} values, not 1`);
    return (await this._value.read())[0];
  }

  toString(): string {
    return `Var${JSON.stringify(this.shape)}${this.node ? ` <- ${this.node.name}` : ''}`;
  }
}

/** A trainable leaf: a named weight tensor that survives graphs, with an accumulated gradient. */
export class Parameter extends Var {
  readonly name: string;
  /** the accumulated gradient (owned by the parameter), null until a backward pass or after zeroGrad */
  grad: Tensor | null = null;

  constructor(name: string, value: Tensor) {
    super(value, null, true);
    this.name = name;
  }

  /** Replaces the value (the old tensor is disposed). The shape must stay the same. */
  assign(value: Tensor): void {
    if (value.shape.length !== this._value.shape.length || value.shape.some((d, k) => d !== this._value.shape[k]))
      throw new InvalidArgumentError(`${this.name}: cannot assign shape ${JSON.stringify(value.shape)} to a parameter of shape ${JSON.stringify(this.shape)}`);
    if (value !== this._value) this._value.dispose();
    this._value = value;
  }

  zeroGrad(): void {
    this.grad?.dispose();
    this.grad = null;
  }

  dispose(): void {
    this.zeroGrad();
    this._value.dispose();
  }
}

export interface GraphOptions {
  /** false: nothing is recorded (inference); every Var made in the graph has requiresGrad false (default true) */
  grad?: boolean;
  /** the backend every op of this graph runs on (default 'auto') */
  backend?: BackendChoice;
}

export class Graph {
  readonly grad: boolean;
  readonly backend: BackendChoice | undefined;
  #owned = new Set<Tensor>();
  #disposed = false;

  constructor(o: GraphOptions = {}) {
    this.grad = o.grad ?? true;
    this.backend = o.backend;
  }

  /** Takes ownership of a tensor (freed by dispose). Returns it. */
  own(t: Tensor): Tensor {
    if (this.#disposed) throw new InvalidArgumentError('Graph: used after dispose()');
    this.#owned.add(t);
    return t;
  }

  owns(t: Tensor): boolean {
    return this.#owned.has(t);
  }

  /** Frees one owned tensor now. */
  free(t: Tensor): void {
    if (this.#owned.delete(t)) t.dispose();
  }

  /** Frees the values of Vars that are no longer needed, in a graph that records nothing (grad: false). */
  discard(...vars: Array<Var | undefined>): void {
    if (this.grad) return;
    for (const v of vars) if (v && v.graph === this && !v.borrowed && !(v instanceof Parameter)) this.free(v.value);
  }

  /**
   * Removes a tensor from the graph's care: it survives dispose() and the caller owns it. Returns a view of
   * `v`'s values that belongs to the caller alone.
   */
  keep(v: Var): Tensor {
    return v.value.reshape([...v.shape]);
  }

  /**
   * A leaf Var for data. The graph does not take the tensor unless `own` is set (then dispose() frees it).
   * `requiresGrad`: gradients with respect to it can be asked for (the gradient penalty's interpolate).
   */
  input(t: Tensor, o: { requiresGrad?: boolean; own?: boolean } = {}): Var {
    if (o.own) this.own(t);
    return new Var(t, this, this.grad && (o.requiresGrad ?? false), undefined, !o.own);
  }

  /** A leaf Var that the graph owns (freed by dispose). */
  constant(t: Tensor): Var {
    return new Var(this.own(t), this, false);
  }

  /** Tensors currently owned. */
  get tensorCount(): number {
    return this.#owned.size;
  }

  /** Bytes of the owned tensors (float32). */
  get bytes(): number {
    let n = 0;
    for (const t of this.#owned) if (!t.disposed) n += 4 * t.size;
    return n;
  }

  /** Frees every tensor the graph owns. Parameters are untouched. Safe to call twice. */
  dispose(): void {
    for (const t of this.#owned) t.dispose();
    this.#owned.clear();
    this.#disposed = true;
  }

  get disposed(): boolean {
    return this.#disposed;
  }
}

/** The graph of a function's inputs: every Var that has one must have the same one. */
export function graphOf(fn: string, vars: readonly Var[], fallback?: Graph): Graph {
  let g: Graph | null = null;
  for (const v of vars) {
    if (!(v instanceof Var)) throw new InvalidArgumentError(`${fn}: inputs must be Vars, got ${typeof v}`);
    if (v.graph) {
      if (g && v.graph !== g) throw new InvalidArgumentError(`${fn}: inputs belong to different graphs`);
      g = v.graph;
    }
  }
  g ??= fallback ?? null;
  if (!g) throw new InvalidArgumentError(`${fn}: no input belongs to a Graph (wrap data with graph.input(tensor); a parameter used alone: attach(p, graph))`);
  if (g.disposed) throw new InvalidArgumentError(`${fn}: the graph was disposed`);
  return g;
}

/**
 * Wraps the output tensor of a function: owned by the inputs' graph, recording `backward` when any input
 * requires a gradient (and the graph records). A tensor the graph already owns is wrapped in a view.
 */
export function record(fn: string, out: Tensor, inputs: readonly Var[], backward: BackwardFn, graph?: Graph): Var {
  const g = graphOf(fn, inputs, graph);
  const t = g.owns(out) || inputs.some((v) => v.value === out) ? out.reshape([...out.shape]) : out;
  g.own(t);
  const rg = g.grad && inputs.some((v) => v.requiresGrad);
  return new Var(t, g, rg, rg ? { name: fn, inputs: [...inputs], backward } : undefined);
}

/** True when any of the Vars requires a gradient (a backward formula must then be built from functions). */
export const anyGrad = (...vs: Array<Var | undefined>) => vs.some((v) => v?.requiresGrad);

/** `v` as a Var of graph `g` (an identity node when v is a parameter or lives elsewhere), for functions whose only
 * inputs are parameters. */
export function attach(v: Var, g: Graph): Var {
  if (v.graph === g) return v;
  return record('attach', v.value.reshape([...v.shape]), [v], async (gy) => [gy], g);
}
