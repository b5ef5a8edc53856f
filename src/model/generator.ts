/**
 * The generator: a U-net from 2D slices to a 3D volume of phase probabilities (README.md has the layer list).
 *
 *   input  [N, k*P (+ noise), H, W]  one-hot sections (section-major, phase-minor) and a seeded noise map
 *   2D encoder, level l at H/2^l: stem / stride-2 conv, then MCAM
 *   lift l: 1x1 conv to C3_l * D_l channels, viewed as [N, C3_l, D_l, H_l, W_l] (channels -> depth)
 *   bottleneck (coarsest level): lifted features (+ 3D noise, + baseline) -> 3^3 conv, instance norm, leaky relu
 *   3D decoder, level l = L-2..0: transposed conv x2, CBAM-gated lifted skip, (+ baseline), 3^3 conv(s)
 *   MSHFA head over every decoder level -> P logits (+ the baseline logits in sections mode) -> softmax
 *
 * Depth is tied to config.size by the lift; height and width may be any multiple of 2^(levels-1).
 */
import { InvalidArgumentError } from '../core/errors.js';
import { shapeString } from '../core/shape.js';
import { checkTensor, tensor, type Tensor } from '../core/tensor.js';
import { F, Graph, type Var } from './autograd/index.js';
import { resolveConfig, type ModelConfig, type ModelConfigInput } from './config.js';
import { CBAM, MCAM, MSHFA } from './nn/attention.js';
import { Conv, Conv2d, Conv3d, ConvTranspose3d, InstanceNorm } from './nn/layers.js';
import { Module, ModuleDict } from './nn/module.js';
import { Random } from './random.js';
import type { BackendChoice } from '../backends/registry.js';

export interface GeneratorInputs {
  /** [N, k*P, H, W]: one-hot of each section, channel i*P + p = (section i, phase p) */
  slices: Tensor;
  /** sections mode: [N, P, size, H, W] baseline logits (see prepareInputs) */
  baseline?: Tensor;
}

export interface NoiseInputs {
  /** [N, noiseChannels, H, W] */
  map?: Tensor;
  /** [N, noise3dChannels, size/2^(L-1), H/2^(L-1), W/2^(L-1)] */
  volume?: Tensor;
}

export interface GeneratorForwardOptions {
  /** the graph to record in (default: a new inference graph, { grad: false }, returned with the output) */
  graph?: Graph;
  /** noise from a seeded PRNG: same seed -> same output (default 0) */
  noiseSeed?: number;
  /** explicit noise (overrides noiseSeed) */
  noise?: NoiseInputs;
}

export interface GeneratorOutput {
  /** [N, P, size, H, W] */
  logits: Var;
  /** softmax of the logits over the phases */
  probs: Var;
  /** the graph that owns them (dispose it when done) */
  graph: Graph;
}

export class Generator extends Module {
  readonly config: ModelConfig;
  readonly levels: number;
  readonly enc: ModuleDict;
  readonly lift: ModuleDict;
  readonly bottleneck: ModuleDict;
  readonly dec: ModuleDict;
  readonly head: MSHFA;
  readonly #encConv: Conv[] = [];
  readonly #mcam: MCAM[] = [];
  readonly #lift: Conv[] = [];
  readonly #bott: { conv: Conv; norm: InstanceNorm };
  readonly #dec: Array<{ up: ConvTranspose3d; cbam: CBAM; conv1: Conv; norm1?: InstanceNorm; conv2?: Conv; norm2?: InstanceNorm }> = [];

  constructor(config: ModelConfig) {
    super();
    this.config = config;
    const { size: S, phases: P, sections: k, mode } = config;
    const gc = config.generator;
    const L = (this.levels = gc.encoderChannels.length);
    const rng = new Random(config.seed);
    const base = mode === 'sections' ? P : 0;
    const ec = gc.encoderChannels, dc = gc.decoderChannels;
    const mcamOpts = { dilations: gc.dilations, reduction: gc.seReduction, slope: gc.slope };

    this.enc = this.addModule('enc', new ModuleDict());
    for (let l = 0; l < L; l++) {
      const level = this.enc.add(String(l), new ModuleDict());
      const cin = l === 0 ? k * P + gc.noiseChannels : ec[l - 1];
      this.#encConv.push(level.add('conv', new Conv2d(cin, ec[l], 3, rng, { stride: l === 0 ? 1 : 2, padding: 1 })));
      this.#mcam.push(level.add('mcam', new MCAM(2, ec[l], ec[l], rng, mcamOpts)));
    }
    this.lift = this.addModule('lift', new ModuleDict());
    for (let l = 0; l < L; l++) this.#lift.push(this.lift.add(String(l), new Conv2d(ec[l], dc[l] * (S >> l), 1, rng)));
    this.bottleneck = this.addModule('bottleneck', new ModuleDict());
    this.#bott = {
      conv: this.bottleneck.add('conv', new Conv3d(dc[L - 1] + gc.noise3dChannels + base, dc[L - 1], 3, rng, { padding: 1 })),
      norm: this.bottleneck.add('norm', new InstanceNorm(dc[L - 1])),
    };
    this.dec = this.addModule('dec', new ModuleDict());
    for (let l = L - 2; l >= 0; l--) {
      const level = this.dec.add(String(l), new ModuleDict());
      const full = l === 0;
      const d = {
        up: level.add('up', new ConvTranspose3d(dc[l + 1], dc[l], 2, rng, { stride: 2 })),
        cbam: level.add('cbam', new CBAM(3, dc[l], rng, { reduction: gc.cbamReduction, kernel: gc.cbamKernel, spatialScale: full ? 2 : 1 })),
        conv1: level.add('conv1', new Conv3d(2 * dc[l] + base, dc[l], 3, rng, { padding: 1 })),
        ...(full ? {} : {
          norm1: level.add('norm1', new InstanceNorm(dc[l])),
          conv2: level.add('conv2', new Conv3d(dc[l], dc[l], 3, rng, { padding: 1 })),
          norm2: level.add('norm2', new InstanceNorm(dc[l])),
        }),
      };
      this.#dec.push(d);
    }
    this.head = this.addModule('head', new MSHFA([...dc].reverse(), rng, { headChannels: gc.headChannels, phases: P, slope: gc.slope, zeroInit: mode === 'sections' }));
  }

  /** The input shapes for a batch of N slices of H x W (default size x size). */
  inputShapes(N: number, H = this.config.size, W = H): { slices: number[]; baseline?: number[]; noiseMap: number[]; noiseVolume: number[] } {
    const { size: S, phases: P, sections: k, generator: gc } = this.config;
    const f = 2 ** (this.levels - 1);
    return {
      slices: [N, k * P, H, W],
      ...(this.config.mode === 'sections' ? { baseline: [N, P, S, H, W] } : {}),
      noiseMap: [N, gc.noiseChannels, H, W],
      noiseVolume: [N, gc.noise3dChannels, S / f, H / f, W / f],
    };
  }

  /** One row per block: its output shape for a batch of N slices of H x W, and its parameter count. */
  summary(N = 1, H = this.config.size, W = H): Array<{ name: string; output: number[]; params: number }> {
    const { size: S, phases: P } = this.config;
    const { encoderChannels: ec, decoderChannels: dc } = this.config.generator;
    const L = this.levels;
    const count = (prefix: string) => this.namedParameters().filter(([n]) => n.startsWith(prefix)).reduce((a, [, p]) => a + p.size, 0);
    const rows: Array<{ name: string; output: number[]; params: number }> = [];
    for (let l = 0; l < L; l++) {
      rows.push({ name: `enc.${l}.conv (3x3${l ? ', stride 2' : ''}) + leaky relu`, output: [N, ec[l], H >> l, W >> l], params: count(`enc.${l}.conv.`) });
      rows.push({ name: `enc.${l}.mcam`, output: [N, ec[l], H >> l, W >> l], params: count(`enc.${l}.mcam.`) });
    }
    for (let l = 0; l < L; l++)
      rows.push({ name: `lift.${l} (1x1 -> ${dc[l] * (S >> l)} ch, as depth)`, output: [N, dc[l], S >> l, H >> l, W >> l], params: count(`lift.${l}.`) });
    rows.push({ name: 'bottleneck (3^3 conv + instance norm)', output: [N, dc[L - 1], S >> (L - 1), H >> (L - 1), W >> (L - 1)], params: count('bottleneck.') });
    for (let l = L - 2; l >= 0; l--) {
      const o = [N, dc[l], S >> l, H >> l, W >> l];
      rows.push({ name: `dec.${l}.up (transposed 2^3, stride 2)`, output: o, params: count(`dec.${l}.up.`) });
      rows.push({ name: `dec.${l}.cbam (skip)${l === 0 ? ', spatial map at 1/2' : ''}`, output: o, params: count(`dec.${l}.cbam.`) });
      rows.push({ name: `dec.${l}.conv1${l ? ' + norm, conv2 + norm' : ''} (3^3)`, output: o, params: count(`dec.${l}.conv`) + count(`dec.${l}.norm`) });
    }
    rows.push({ name: 'head (MSHFA) -> logits', output: [N, P, S, H, W], params: count('head.') });
    return rows;
  }

  /** Seeded standard-normal noise for a batch (map first, then volume, from one stream). */
  makeNoise(N: number, H: number, W: number, seed: number): { map?: Tensor; volume?: Tensor } {
    const sh = this.inputShapes(N, H, W);
    const rng = new Random(seed);
    const make = (s: number[]) => (s[1] ? tensor(rng.normalArray(s.reduce((a, b) => a * b, 1)), s) : undefined);
    return { map: make(sh.noiseMap), volume: make(sh.noiseVolume) };
  }

  #check(inputs: GeneratorInputs): [number, number, number] {
    if (!inputs || typeof inputs !== 'object') throw new InvalidArgumentError('generator: inputs must be { slices, baseline? }');
    const x = checkTensor(inputs.slices, 'generator: inputs.slices', [4]);
    const [N, C, H, W] = x.shape;
    const { phases: P, sections: k, size: S, mode } = this.config;
    const f = 2 ** (this.levels - 1);
    if (C !== k * P) throw new InvalidArgumentError(`generator: inputs.slices has ${C} channels; this model takes ${k} section(s) x ${P} phases = ${k * P}`);
    if (H % f || W % f) throw new InvalidArgumentError(`generator: slice size ${H}x${W} must be a multiple of ${f}`);
    if (mode === 'sections') {
      const b = checkTensor(inputs.baseline, 'generator: inputs.baseline (sections mode)', [5]);
      const want = [N, P, S, H, W];
      if (b.shape.some((d, i) => d !== want[i])) throw new InvalidArgumentError(`generator: inputs.baseline must have shape ${shapeString(want)}, got ${shapeString(b.shape)}`);
    }
    return [N, H, W];
  }

  /** The forward pass. Inputs are not modified or taken; the output Vars belong to the returned graph. */
  async forward(inputs: GeneratorInputs, o: GeneratorForwardOptions = {}): Promise<GeneratorOutput> {
    const [N, H, W] = this.#check(inputs);
    const g = o.graph ?? new Graph({ grad: false });
    try {
      return { ...(await this.#forward(g, inputs, N, H, W, o)), graph: g };
    } catch (err) {
      if (!o.graph) g.dispose();
      throw err;
    }
  }

  async #forward(g: Graph, inputs: GeneratorInputs, N: number, H: number, W: number, o: GeneratorForwardOptions): Promise<{ logits: Var; probs: Var }> {
    const { size: S, generator: gc, mode } = this.config;
    const L = this.levels;
    const slope = gc.slope;
    const sh = this.inputShapes(N, H, W);
    let noise = o.noise;
    if (!noise) {
      const made = this.makeNoise(N, H, W, o.noiseSeed ?? 0);
      noise = { map: made.map && g.own(made.map), volume: made.volume && g.own(made.volume) };
    }
    const noiseVar = (t: Tensor | undefined, shape: number[], what: string): Var | undefined => {
      if (!shape[1]) return undefined;
      const v = checkTensor(t, `generator: noise.${what}`);
      if (v.shape.some((d, i) => d !== shape[i])) throw new InvalidArgumentError(`generator: noise.${what} must have shape ${shapeString(shape)}, got ${shapeString(v.shape)}`);
      return g.input(v);
    };
    const nMap = noiseVar(noise.map, sh.noiseMap, 'map');
    const nVol = noiseVar(noise.volume, sh.noiseVolume, 'volume');

    // 2D encoder
    let h = g.input(inputs.slices);
    if (nMap) h = await F.concat([h, nMap], 1);
    const feats: Var[] = [];
    for (let l = 0; l < L; l++) {
      const c = await this.#encConv[l].forward(h);
      const a = await F.leakyRelu(c, slope);
      h = await this.#mcam[l].forward(a);
      g.discard(c, a);
      feats.push(h);
    }
    // lift: channels -> depth
    const lifted: Var[] = [];
    for (let l = 0; l < L; l++) {
      const c = await this.#lift[l].forward(feats[l]);
      const C3 = gc.decoderChannels[l];
      const v = await F.reshape(c, [N, C3, S >> l, H >> l, W >> l]);
      lifted.push(await F.leakyRelu(v, slope));
      g.discard(c, v);
    }
    g.discard(...feats);
    // the baseline's probabilities at every level (sections mode)
    const base: Var[] = [];
    let baseLogits: Var | undefined;
    if (mode === 'sections') {
      baseLogits = g.input(inputs.baseline!);
      base.push(await F.softmax(baseLogits, 1));
      for (let l = 1; l < L; l++) base.push(await F.upsample(base[l - 1], { size: [S >> l, H >> l, W >> l], mode: 'trilinear' }));
    }
    // bottleneck
    const bIn = [lifted[L - 1], ...(nVol ? [nVol] : []), ...(base.length ? [base[L - 1]] : [])];
    const bcat = bIn.length > 1 ? await F.concat(bIn, 1) : bIn[0];
    const bc = await this.#bott.conv.forward(bcat);
    const bn = await this.#bott.norm.forward(bc);
    let d = await F.leakyRelu(bn, slope);
    g.discard(bcat === lifted[L - 1] ? undefined : bcat, bc, bn, lifted[L - 1]);
    const decs: Var[] = [d];
    // 3D decoder
    for (let i = 0; i < L - 1; i++) {
      const l = L - 2 - i;
      const m = this.#dec[i];
      const up = await m.up.forward(d);
      const skip = await m.cbam.forward(lifted[l]);
      g.discard(lifted[l]);
      const cat = await F.concat([up, skip, ...(base.length ? [base[l]] : [])], 1);
      g.discard(up, skip);
      const c1 = await m.conv1.forward(cat);
      g.discard(cat);
      if (m.norm1 && m.conv2 && m.norm2) {
        const n1 = await m.norm1.forward(c1);
        const a1 = await F.leakyRelu(n1, slope);
        const c2 = await m.conv2.forward(a1);
        const n2 = await m.norm2.forward(c2);
        d = await F.leakyRelu(n2, slope);
        g.discard(c1, n1, a1, c2, n2);
      } else {
        d = await F.leakyRelu(c1, slope);
        g.discard(c1);
      }
      decs.push(d);
    }
    g.discard(...base);
    let logits = await this.head.forward(decs);
    g.discard(...decs);
    if (baseLogits) {
      const head = logits;
      logits = await F.add(head, baseLogits);
      g.discard(head);
    }
    const probs = await F.softmax(logits, 1);
    return { logits, probs };
  }

  /**
   * Inference: the phase probabilities [N, P, size, H, W] as a tensor the caller owns (every intermediate is
   * freed as soon as it is used).
   */
  async predict(inputs: GeneratorInputs, o: { noiseSeed?: number; noise?: NoiseInputs; backend?: BackendChoice } = {}): Promise<Tensor> {
    const g = new Graph({ grad: false, backend: o.backend });
    try {
      const out = await this.forward(inputs, { graph: g, noiseSeed: o.noiseSeed, noise: o.noise });
      return g.keep(out.probs);
    } finally {
      g.dispose();
    }
  }
}

/** A generator with fresh, seeded weights (PyTorch's default init, from config.seed). */
export function createGenerator(config: ModelConfigInput | ModelConfig): Generator {
  return new Generator(resolveConfig(config));
}
