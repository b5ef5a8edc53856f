/**
 * The attention blocks of the generator.
 * - ChannelSE: squeeze-and-excitation channel attention (global avg pool -> linear -> relu -> linear -> sigmoid
 *   -> scale), MCAM's aggregation.
 * - MCAM: multi-scale channel aggregation: parallel 3x3 convs with dilations (1, 2, 3 by default) see the input at
 *   several receptive fields; their outputs are concatenated, re-weighted by ChannelSE and fused by a 1x1 conv,
 *   then instance norm and leaky relu.
 * - CBAM: channel attention from avg- and max-pooled descriptors through one shared MLP, then spatial attention
 *   from the channel-wise mean and max through a k^nd conv. `spatialScale` > 1 computes the spatial map at a
 *   reduced resolution and upsamples it (full-resolution 3D attention is the expensive part; MODEL-NOTES).
 * Attention weights are sigmoids (bounded, no division), so they need no epsilon.
 */
import { F, attach } from '../autograd/index.js';
import type { Var } from '../autograd/var.js';
import type { Random } from '../random.js';
import { Conv, InstanceNorm, Linear } from './layers.js';
import { Module } from './module.js';

const hiddenOf = (c: number, r: number) => Math.max(2, Math.ceil(c / r));

export class ChannelSE extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(readonly channels: number, reduction: number, rng: Random) {
    super();
    const h = hiddenOf(channels, reduction);
    this.fc1 = this.addModule('fc1', new Linear(channels, h, rng));
    this.fc2 = this.addModule('fc2', new Linear(h, channels, rng));
  }

  async forward(x: Var): Promise<Var> {
    const g = x.graph!;
    const [N, C] = x.shape;
    const s0 = await F.globalAvgPool(x);
    const s1 = await F.reshape(s0, [N, C]);
    const h = await F.relu(await this.fc1.forward(s1));
    const a = await F.sigmoid(await this.fc2.forward(h));
    const w = await F.reshape(a, [N, C, ...new Array(x.shape.length - 2).fill(1)]);
    const y = await F.mul(x, w);
    g.discard(s0, s1, h, a, w);
    return y;
  }
}

export interface MCAMOptions {
  dilations: number[];
  /** channels of each branch (default cout / 2) */
  branchChannels?: number;
  reduction: number;
  slope: number;
}

export class MCAM extends Module {
  readonly branches: Conv[];
  readonly se: ChannelSE;
  readonly fuse: Conv;
  readonly norm: InstanceNorm;
  constructor(readonly nd: 2 | 3, readonly cin: number, readonly cout: number, rng: Random, readonly o: MCAMOptions) {
    super();
    const b = o.branchChannels ?? Math.max(1, Math.floor(cout / 2));
    this.branches = o.dilations.map((d, k) => this.addModule(`branch${k}`, new Conv(nd, cin, b, 3, rng, { padding: d, dilation: d })));
    this.se = this.addModule('se', new ChannelSE(b * o.dilations.length, o.reduction, rng));
    this.fuse = this.addModule('fuse', new Conv(nd, b * o.dilations.length, cout, 1, rng));
    this.norm = this.addModule('norm', new InstanceNorm(cout));
  }

  async forward(x: Var): Promise<Var> {
    const g = x.graph!;
    const outs: Var[] = [];
    for (const br of this.branches) {
      const c = await br.forward(x);
      outs.push(await F.leakyRelu(c, this.o.slope));
      g.discard(c);
    }
    const cat = await F.concat(outs, 1);
    g.discard(...outs);
    const att = await this.se.forward(cat);
    const f = await this.fuse.forward(att);
    const n = await this.norm.forward(f);
    const y = await F.leakyRelu(n, this.o.slope);
    g.discard(cat, att, f, n);
    return y;
  }
}

export interface CBAMOptions {
  reduction: number;
  /** spatial attention kernel (odd) */
  kernel: number;
  /** compute the spatial map at 1/spatialScale of the resolution (1: full) */
  spatialScale?: number;
}

export class CBAM extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly spatial: Conv;
  constructor(readonly nd: 2 | 3, readonly channels: number, rng: Random, readonly o: CBAMOptions) {
    super();
    const h = hiddenOf(channels, o.reduction);
    this.fc1 = this.addModule('fc1', new Linear(channels, h, rng));
    this.fc2 = this.addModule('fc2', new Linear(h, channels, rng));
    this.spatial = this.addModule('spatial', new Conv(nd, 2, 1, o.kernel, rng, { padding: (o.kernel - 1) >> 1 }));
  }

  async #mlp(v: Var): Promise<Var> {
    return this.fc2.forward(await F.relu(await this.fc1.forward(v)));
  }

  async forward(x: Var): Promise<Var> {
    const g = x.graph!;
    const [N, C] = x.shape;
    const sp = x.shape.slice(2);
    const ones = new Array(this.nd).fill(1);
    // channel attention
    const avg = await F.reshape(await F.globalAvgPool(x), [N, C]);
    const mx = await F.reshape(await F.globalMaxPool(x), [N, C]);
    const ca = await F.sigmoid(await F.add(await this.#mlp(avg), await this.#mlp(mx)));
    const x1 = await F.mul(x, await F.reshape(ca, [N, C, ...ones]));
    // spatial attention
    let desc = await F.concat([await F.channelMean(x1), await F.channelMax(x1)], 1);
    const scale = this.o.spatialScale ?? 1;
    const mode = this.nd === 3 ? 'trilinear' : 'bilinear';
    const small = sp.map((n) => Math.max(1, Math.round(n / scale)));
    if (scale > 1) desc = await F.upsample(desc, { size: small, mode });
    let s = await F.sigmoid(await this.spatial.forward(desc));
    if (scale > 1) s = await F.upsample(s, { size: sp, mode });
    const y = await F.mul(x1, s);
    g.discard(x1, desc, s);
    return y;
  }
}

export interface MSHFAOptions {
  /** channels of each scale's projection */
  headChannels: number;
  phases: number;
  slope: number;
  /** start the output conv at zero (the sections mode's correction starts at the baseline) */
  zeroInit?: boolean;
}

/**
 * Multi-scale hierarchical feature aggregation head: each decoder output (coarse to fine) is projected by a
 * 1x1x1 conv + leaky relu at its own resolution, brought to full resolution by trilinear upsampling,
 * concatenated, and a 1x1x1 conv (`out`) gives the P phase logits.
 *
 * Computed in an equivalent, cheaper order: upsampling is linear per channel and a 1x1x1 conv mixes channels per
 * voxel, so they commute: out(concat_k up(p_k)) = bias + sum_k up(W_k p_k), where W_k is out's weight block for
 * scale k. Only P channels per scale reach full resolution, and there is no full-resolution concat.
 */
export class MSHFA extends Module {
  readonly proj: Conv[];
  readonly out: Conv;
  constructor(readonly inChannels: number[], rng: Random, readonly o: MSHFAOptions) {
    super();
    this.proj = inChannels.map((c, k) => this.addModule(`proj${k}`, new Conv(3, c, o.headChannels, 1, rng)));
    this.out = this.addModule('out', new Conv(3, o.headChannels * inChannels.length, o.phases, 1, rng, { zeroInit: o.zeroInit }));
  }

  async forward(features: Var[]): Promise<Var> {
    const g = features[0].graph!;
    const full = features[features.length - 1].shape.slice(2);
    const h = this.o.headChannels, P = this.o.phases;
    const w = attach(this.out.weight, g);
    let acc: Var | undefined;
    for (let k = 0; k < features.length; k++) {
      const c = await this.proj[k].forward(features[k]);
      const p = await F.leakyRelu(c, this.o.slope);
      const wk = await F.slice(w, [0, k * h, 0, 0, 0], [P, h, 1, 1, 1]);
      let z = await F.conv3d(p, wk);
      g.discard(c, p);
      if (!z.shape.slice(2).every((n, a) => n === full[a])) {
        const u = await F.upsample(z, { size: full, mode: 'trilinear' });
        g.discard(z);
        z = u;
      }
      if (acc) {
        const s = await F.add(acc, z);
        g.discard(acc, z);
        acc = s;
      } else acc = z;
    }
    const b = await F.reshape(attach(this.out.bias!, g), [P, 1, 1, 1]);
    const y = await F.add(acc!, b);
    g.discard(acc);
    return y;
  }
}
