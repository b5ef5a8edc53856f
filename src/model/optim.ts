/**
 * Adam (PyTorch's torch.optim.Adam, L2 weight decay, no amsgrad) and an exponential moving average of weights.
 * Updates run on host copies in float64 arithmetic (a few ms for a million weights) and write new tensors; the
 * moments are host Float32Arrays, so their state saves to safetensors as is.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { tensor } from '../core/tensor.js';
import { clipGradNorm, gradsFinite } from './autograd/numerics.js';
import type { Parameter } from './autograd/var.js';
import type { HostArray, Module } from './nn/module.js';

type Named = Array<[string, Parameter]>;
const namedOf = (p: Module | Named): Named => (Array.isArray(p) ? p : p.namedParameters());

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export interface StepResult {
  /** false when a gradient was not finite: nothing was changed */
  applied: boolean;
  /** the global gradient norm before clipping (when clipping was asked for) */
  gradNorm?: number;
}

export interface AdamState {
  step: number;
  /** name -> first / second moment */
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

export class Adam {
  lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  #params: Named;
  #step = 0;
  #m = new Map<string, Float32Array>();
  #v = new Map<string, Float32Array>();

  constructor(params: Module | Named, o: AdamOptions = {}) {
    this.#params = namedOf(params);
    this.lr = o.lr ?? 1e-3;
    this.betas = o.betas ?? [0.9, 0.999];
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? 0;
    if (!(this.lr > 0)) throw new InvalidArgumentError(`Adam: lr must be > 0, got ${this.lr}`);
  }

  get stepCount(): number {
    return this.#step;
  }

  get parameters(): Parameter[] {
    return this.#params.map(([, p]) => p);
  }

  zeroGrad(): void {
    for (const [, p] of this.#params) p.zeroGrad();
  }

  /**
   * One update from the parameters' accumulated gradients. Skipped (applied: false) when any gradient is NaN/Inf.
   * maxGradNorm > 0 clips the global gradient norm first.
   */
  async step(o: { maxGradNorm?: number } = {}): Promise<StepResult> {
    const params = this.parameters;
    if (!(await gradsFinite(params))) return { applied: false };
    const gradNorm = o.maxGradNorm ? await clipGradNorm(params, o.maxGradNorm) : undefined;
    this.#step++;
    const t = this.#step;
    const [b1, b2] = this.betas;
    const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
    const stepSize = this.lr / bc1, sbc2 = Math.sqrt(bc2);
    for (const [name, p] of this.#params) {
      if (!p.grad) continue;
      const g = await p.grad.read();
      const w = await p.value.read();
      let m = this.#m.get(name), v = this.#v.get(name);
      if (!m || !v) {
        m = new Float32Array(w.length);
        v = new Float32Array(w.length);
        this.#m.set(name, m);
        this.#v.set(name, v);
      }
      const wd = this.weightDecay;
      for (let k = 0; k < w.length; k++) {
        const gk = wd ? g[k] + wd * w[k] : g[k];
        m[k] = b1 * m[k] + (1 - b1) * gk;
        v[k] = b2 * v[k] + (1 - b2) * gk * gk;
        w[k] = w[k] - (stepSize * m[k]) / (Math.sqrt(v[k]) / sbc2 + this.eps);
      }
      p.assign(tensor(w, [...p.shape]));
    }
    return { applied: true, ...(gradNorm !== undefined ? { gradNorm } : {}) };
  }

  state(): AdamState {
    return { step: this.#step, m: new Map(this.#m), v: new Map(this.#v) };
  }

  /** Restores a saved state (moments must match the parameters' names and sizes). */
  loadState(s: AdamState): void {
    const sizes = new Map(this.#params.map(([n, p]) => [n, p.size]));
    for (const [what, map] of [['m', s.m], ['v', s.v]] as const)
      for (const [n, a] of map) {
        if (!sizes.has(n)) throw new InvalidArgumentError(`Adam.loadState: ${what} of unknown parameter '${n}'`);
        if (a.length !== sizes.get(n)) throw new InvalidArgumentError(`Adam.loadState: ${what} of '${n}' has ${a.length} values, the parameter ${sizes.get(n)}`);
      }
    if (!Number.isInteger(s.step) || s.step < 0) throw new InvalidArgumentError(`Adam.loadState: step must be a non-negative integer, got ${s.step}`);
    this.#step = s.step;
    this.#m = new Map([...s.m].map(([n, a]) => [n, a.slice()]));
    this.#v = new Map([...s.v].map(([n, a]) => [n, a.slice()]));
  }
}

/**
 * Exponential moving average of a module's weights: ema = d * ema + (1 - d) * w, with the usual warm-up
 * d = min(decay, (1 + t) / (10 + t)) so early averages are not dominated by the initial weights.
 */
export class Ema {
  readonly decay: number;
  #t = 0;
  #avg = new Map<string, HostArray>();

  private constructor(decay: number) {
    this.decay = decay;
  }

  static async of(module: Module, decay = 0.999): Promise<Ema> {
    const e = new Ema(decay);
    e.#avg = await module.stateDict();
    return e;
  }

  get updates(): number {
    return this.#t;
  }

  async update(module: Module): Promise<void> {
    this.#t++;
    const d = Math.min(this.decay, (1 + this.#t) / (10 + this.#t));
    for (const [n, p] of module.namedParameters()) {
      const a = this.#avg.get(n);
      if (!a) throw new InvalidArgumentError(`Ema.update: unknown parameter '${n}'`);
      const w = await p.value.read();
      for (let k = 0; k < w.length; k++) a.data[k] = d * a.data[k] + (1 - d) * w[k];
    }
  }

  /** The averaged weights (host copies). */
  weights(): Map<string, HostArray> {
    return new Map([...this.#avg].map(([n, a]) => [n, { shape: [...a.shape], data: a.data.slice() }]));
  }

  /** Loads the averaged weights into a module of the same architecture (e.g. an inference copy). */
  copyTo(module: Module): void {
    module.loadStateDict(this.#avg, 'ema');
  }

  /** Restores saved averages and the update count (for exact resume). */
  load(weights: ReadonlyMap<string, HostArray>, updates: number): void {
    for (const [n, a] of this.#avg) {
      const w = weights.get(n);
      if (!w || w.data.length !== a.data.length) throw new InvalidArgumentError(`Ema.load: '${n}' is missing or has the wrong size`);
    }
    this.#avg = new Map([...weights].map(([n, a]) => [n, { shape: [...a.shape], data: a.data.slice() }]));
    this.#t = updates;
  }
}
