/** Layers with parameters: Conv{2,3}d, ConvTranspose3d, Linear, InstanceNorm (PyTorch layouts and default init). */
import { full } from '../../core/tensor.js';
import { F } from '../autograd/index.js';
import type { Parameter, Var } from '../autograd/var.js';
import type { Random } from '../random.js';
import { Module, uniformInit } from './module.js';

export interface ConvLayerOptions {
  stride?: number;
  padding?: number;
  dilation?: number;
  /** default true */
  bias?: boolean;
  /** start at zero (weights and bias): a residual/correction branch that starts as the identity */
  zeroInit?: boolean;
}

const prod = (a: number[]) => a.reduce((p, q) => p * q, 1);

/** Convolution over nd spatial axes: weight [cout, cin, k...], bias [cout]. */
export class Conv extends Module {
  readonly weight: Parameter;
  readonly bias?: Parameter;
  constructor(readonly nd: 2 | 3, readonly cin: number, readonly cout: number, readonly k: number, rng: Random, readonly o: ConvLayerOptions = {}) {
    super();
    const shape = [cout, cin, ...new Array(nd).fill(k)];
    const fanIn = cin * k ** nd;
    this.weight = this.addParam('weight', o.zeroInit ? full(shape, 0) : uniformInit(rng, shape, fanIn));
    if (o.bias ?? true) this.bias = this.addParam('bias', o.zeroInit ? full([cout], 0) : uniformInit(rng, [cout], fanIn));
  }

  forward(x: Var): Promise<Var> {
    const o = { bias: this.bias, stride: this.o.stride ?? 1, padding: this.o.padding ?? 0, dilation: this.o.dilation ?? 1 };
    return this.nd === 2 ? F.conv2d(x, this.weight, o) : F.conv3d(x, this.weight, o);
  }
}

export class Conv2d extends Conv {
  constructor(cin: number, cout: number, k: number, rng: Random, o?: ConvLayerOptions) {
    super(2, cin, cout, k, rng, o);
  }
}

export class Conv3d extends Conv {
  constructor(cin: number, cout: number, k: number, rng: Random, o?: ConvLayerOptions) {
    super(3, cin, cout, k, rng, o);
  }
}

/** Transposed 3D conv: weight [cin, cout, k, k, k] (PyTorch's fan-in quirk: cout * k³). */
export class ConvTranspose3d extends Module {
  readonly weight: Parameter;
  readonly bias?: Parameter;
  constructor(readonly cin: number, readonly cout: number, readonly k: number, rng: Random, readonly o: { stride?: number; padding?: number; bias?: boolean } = {}) {
    super();
    const fanIn = cout * k ** 3;
    this.weight = this.addParam('weight', uniformInit(rng, [cin, cout, k, k, k], fanIn));
    if (o.bias ?? true) this.bias = this.addParam('bias', uniformInit(rng, [cout], fanIn));
  }

  forward(x: Var): Promise<Var> {
    return F.convTranspose3d(x, this.weight, { bias: this.bias, stride: this.o.stride ?? 1, padding: this.o.padding ?? 0 });
  }
}

export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias?: Parameter;
  constructor(readonly inF: number, readonly outF: number, rng: Random, o: { bias?: boolean } = {}) {
    super();
    this.weight = this.addParam('weight', uniformInit(rng, [outF, inF], inF));
    if (o.bias ?? true) this.bias = this.addParam('bias', uniformInit(rng, [outF], inF));
  }

  forward(x: Var): Promise<Var> {
    return F.linear(x, this.weight, this.bias);
  }
}

/** Instance norm with a learned per-channel scale (ones) and shift (zeros). */
export class InstanceNorm extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;
  constructor(readonly channels: number, readonly eps = 1e-5) {
    super();
    this.weight = this.addParam('weight', full([channels], 1));
    this.bias = this.addParam('bias', full([channels], 0));
  }

  forward(x: Var): Promise<Var> {
    return F.instanceNorm(x, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
}

export const numel = prod;
