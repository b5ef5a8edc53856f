/**
 * WGAN-GP critics: stride-2 4^nd convs with leaky relu and no normalisation (a per-sample gradient penalty
 * needs samples to be scored independently), then one conv covering the remaining extent -> one score per sample.
 * nd = 3: on volumes [N, P, S, S, S] (paired mode). nd = 2: on slices [N', P, S, S] (2D mode, one critic per axis).
 */
import { InvalidArgumentError } from '../core/errors.js';
import { shapeString } from '../core/shape.js';
import { F, type Var } from './autograd/index.js';
import { resolveConfig, type ModelConfig, type ModelConfigInput } from './config.js';
import { Conv } from './nn/layers.js';
import { Module, ModuleDict } from './nn/module.js';
import { Random } from './random.js';

export class Critic extends Module {
  readonly config: ModelConfig;
  readonly layers: ModuleDict;
  readonly #convs: Conv[] = [];
  readonly #out: Conv;
  constructor(config: ModelConfig, readonly nd: 2 | 3, seed: number) {
    super();
    this.config = config;
    const rng = new Random(seed);
    const ch = config.critic.channels;
    this.layers = this.addModule('layers', new ModuleDict());
    let cin = config.phases;
    ch.forEach((c, k) => {
      this.#convs.push(this.layers.add(String(k), new Conv(nd, cin, c, 4, rng, { stride: 2, padding: 1 })));
      cin = c;
    });
    this.#out = this.addModule('out', new Conv(nd, cin, 1, config.size >> ch.length, rng));
  }

  /** Scores [N] of samples x [N, P, ...size^nd]. */
  async forward(x: Var): Promise<Var> {
    const { phases: P, size: S } = this.config;
    const want = [P, ...new Array(this.nd).fill(S)];
    if (x.shape.length !== this.nd + 2 || x.shape.slice(1).some((d, i) => d !== want[i]))
      throw new InvalidArgumentError(`critic: input must have shape [N, ${want.join(', ')}], got ${shapeString(x.shape)}`);
    let h = x;
    for (const c of this.#convs) h = await F.leakyRelu(await c.forward(h), this.config.critic.slope);
    const y = await this.#out.forward(h);
    return F.reshape(y, [x.shape[0]]);
  }
}

/** A critic with seeded weights: nd 3 for paired training, 2 for slice critics (default from config.training). */
export function createCritic(config: ModelConfigInput | ModelConfig, o: { nd?: 2 | 3; seed?: number } = {}): Critic {
  const c = resolveConfig(config);
  return new Critic(c, o.nd ?? (c.training === 'paired' ? 3 : 2), o.seed ?? c.seed + 1);
}

/** The slices of volumes [N, P, D, H, W] across one axis, as a batch of 2D images [N*n, P, a, b]. */
export async function volumeSlices(v: Var, axis: 'z' | 'y' | 'x'): Promise<Var> {
  const [N, P, D, H, W] = v.shape;
  if (axis === 'z') return F.reshape(await F.permute(v, [0, 2, 1, 3, 4]), [N * D, P, H, W]);
  if (axis === 'y') return F.reshape(await F.permute(v, [0, 3, 1, 2, 4]), [N * H, P, D, W]);
  return F.reshape(await F.permute(v, [0, 4, 1, 2, 3]), [N * W, P, D, H]);
}
