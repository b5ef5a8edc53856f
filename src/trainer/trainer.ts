/**
 * Trainer: trains a generator (paired mode: 3D critic on crops of a volume; 2d mode: one 2D slice critic per axis on
 * crops of one image per plane) with a held-out region for validation, EMA weights for inference, best-checkpoint
 * selection on held-out metrics, JSONL metrics, PNG previews, atomic checkpoints and exact resume.
 *
 *   <out>/checkpoint/   resumable checkpoint (config.json, model.safetensors = EMA weights, training.*)
 *   <out>/best/         model dir (EMA weights) of the best held-out score so far
 *   <out>/metrics.jsonl one JSON object per line: {type: 'train' | 'val' | 'event', iteration, ...}
 *   <out>/previews/     PNG previews (real | generated, mid z and mid y slices) at every validation
 */
import { AbortError, InvalidArgumentError } from '../core/errors.js';
import { tensor, type Tensor } from '../core/tensor.js';
import { writeVolume } from '../io/index.js';
import type { Volume } from '../io/types.js';
import {
  Adam, Ema, Random, createCritic, createGenerator, criticStep2d, criticStepPaired, loadCheckpoint, oneHot, prepareInputs,
  probabilitiesToLabels, resolveConfig, saveCheckpoint, saveModel, sectionPositions, writeFileAtomic,
  type Critic, type Generator, type ModelConfig, type ModelConfigInput,
} from '../model/index.js';
import type { BackendChoice } from '../backends/registry.js';
import { compareVolumes } from '../metrics/native-stats.js';
import {
  heldOutBlocks, heldOutPlaneCrops, loadTrainingData, randomBlock, randomPlaneCrop, PLANE_AXIS, type PlaneName, type TrainingData,
} from './data.js';
import { generatorStep, type GenStepResult } from './steps.js';
import { agreement, meanCurves, phaseFractions, rmsDiff, twoPointAll, type Shape3 } from './stats.js';

/** Trainer hyper-parameters beyond the model's (stored in config.json under notes.trainer). */
export interface TrainerSettings {
  /** fraction of the data held out for validation (paired: the end of the longest axis; 2d: the last rows) */
  heldOutFraction: number;
  /** iterations with the adversarial term off (regularisation only), then a linear ramp over advRampIterations */
  advStartIterations: number;
  advRampIterations: number;
  /** cross-entropy weight (paired) */
  ceWeight: number;
  /** phase-fraction term weight */
  pfWeight: number;
  /** paired mode: weight of 1 − SSIM (7³ uniform window) of the expected label map against the real block (0: off);
   * the shipped sections models use 2 (with ceWeight 0.1, l1Weight 0.5): L1 / cross-entropy alone lower SSIM */
  ssimWeight: number;
  /** single paired mode: regularisation weight exp(-z / depthDecay) by depth (0: uniform) */
  depthDecay: number;
  /** validate (and maybe write best/) every this many iterations */
  validateEvery: number;
  /** held-out blocks (paired) or crops per plane (2d) used for validation */
  validationBlocks: number;
  /** checkpoint every this many iterations or seconds, whichever comes first */
  checkpointEvery: number;
  checkpointSeconds: number;
  /** a metrics line every this many iterations */
  logEvery: number;
}

export const DEFAULT_TRAINER: TrainerSettings = {
  heldOutFraction: 0.25,
  advStartIterations: 200,
  advRampIterations: 800,
  ceWeight: 0.5,
  pfWeight: 5,
  ssimWeight: 0,
  depthDecay: 16,
  validateEvery: 100,
  validationBlocks: 4,
  checkpointEvery: 100,
  checkpointSeconds: 300,
  logEvery: 10,
};

export interface TrainerOptions {
  /** paired: one 3D volume (path or Volume); 2d: 1 or 3 images or a directory (planes by name XY/XZ/YZ, else order xy, xz, yz) */
  data: string | string[] | Volume | Volume[];
  mode: 'paired' | '2d';
  /** output directory */
  out: string;
  /** crop / model size (default 64) */
  size?: number;
  /** model config overrides (mode 'single' | 'sections', sections k, generator/critic/loss/optim) */
  config?: ModelConfigInput;
  trainer?: Partial<TrainerSettings>;
  backend?: BackendChoice;
  /** a seed for weights and data order (default 0) */
  seed?: number;
}

export interface TrainProgress {
  iteration: number;
  /** the target iteration of this run */
  total: number;
  losses: Record<string, number>;
  advWeight: number;
  itPerSec: number;
  etaSeconds: number;
  skipped: { critic: number; generator: number };
  validation?: ValidationResult;
}

export interface ValidationResult {
  iteration: number;
  /** lower is better; best/ holds the model with the lowest */
  score: number;
  metrics: Record<string, number>;
}

export interface TrainResult {
  iteration: number;
  aborted: boolean;
  best: { score: number; iteration: number } | null;
  skipped: { critic: number; generator: number };
  seconds: number;
}

interface TrainerState {
  iteration: number;
  rng: ReturnType<Random['state']>;
  best: { score: number; iteration: number } | null;
  skipped: { critic: number; generator: number };
  seconds: number;
  [k: string]: unknown;
}

const AXES = ['x', 'y', 'z'] as const;
/** Version of the validation score formula (stored in the checkpoint; a resumed run with another restarts best/). */
const SCORE_VERSION = 2;

export class Trainer {
  readonly config: ModelConfig;
  readonly settings: TrainerSettings;
  readonly out: string;
  readonly data: TrainingData;
  readonly generator: Generator;
  readonly critics: Record<string, Critic>;
  readonly optimizers: Record<string, Adam>;
  readonly ema: Ema;
  #evalGen: Generator;
  #rng: Random;
  #state: TrainerState;
  #backend?: BackendChoice;
  #val: { blocks?: Uint8Array[]; planes?: Record<PlaneName, Uint8Array[]>; inputs?: Uint8Array[] };
  #lastSave = Date.now();
  #disposed = false;

  private constructor(p: {
    config: ModelConfig; settings: TrainerSettings; out: string; data: TrainingData; generator: Generator; critics: Record<string, Critic>;
    optimizers: Record<string, Adam>; ema: Ema; rng: Random; state: TrainerState; backend?: BackendChoice; evalGen: Generator;
  }) {
    this.config = p.config;
    this.settings = p.settings;
    this.out = p.out;
    this.data = p.data;
    this.generator = p.generator;
    this.critics = p.critics;
    this.optimizers = p.optimizers;
    this.ema = p.ema;
    this.#rng = p.rng;
    this.#state = p.state;
    this.#backend = p.backend;
    this.#evalGen = p.evalGen;
    this.#val = this.#validationSet();
  }

  get iteration(): number {
    return this.#state.iteration;
  }

  /** A new training run (or, with resume and an existing checkpoint in out, the saved one: see Trainer.resume). */
  static async create(o: TrainerOptions & { resume?: boolean }): Promise<Trainer> {
    if (!o || typeof o !== 'object') throw new InvalidArgumentError('Trainer.create: options must be an object');
    if (o.mode !== 'paired' && o.mode !== '2d') throw new InvalidArgumentError(`train: mode must be 'paired' or '2d', got ${JSON.stringify(o.mode)}`);
    if (typeof o.out !== 'string' || !o.out) throw new InvalidArgumentError('train: out must be a directory path');
    if (o.resume && (await checkpointDir(o.out))) return Trainer.resume(o.out, { data: o.data, backend: o.backend });
    const size = o.size ?? o.config?.size ?? 64;
    if (!Number.isInteger(size) || size < 8 || size > 512) throw new InvalidArgumentError(`train: size must be an integer in [8, 512], got ${size}`);
    const settings = { ...DEFAULT_TRAINER, ...(o.trainer ?? {}) };
    const data = await loadTrainingData(o.data, o.mode, size, settings.heldOutFraction);
    const seed = o.seed ?? o.config?.seed ?? 0;
    const config = resolveConfig({
      ...(o.config ?? {}),
      size, phases: data.phases, training: o.mode, seed,
      ...(o.mode === '2d' ? { mode: 'single', sections: 1 } : {}),
      notes: {
        ...(o.config?.notes ?? {}),
        trainer: settings,
        data: {
          sources: data.sources, labels: data.labels ?? null, heldOut: data.heldOut, fractions: data.fractions,
          ...(data.planeFiles ? { planes: data.planeFiles } : {}),
          ...(data.planeConsistency ? { planeConsistency: data.planeConsistency } : {}),
          heldOutNote: o.mode === 'paired'
            ? `training crops never touch ${data.heldOut.axis} >= ${data.heldOut.from} (the last ${(data.heldOut.fraction * 100).toFixed(1)} % along ${data.heldOut.axis}); validation blocks come only from there`
            : `training crops never touch the last ${(data.heldOut.fraction * 100).toFixed(1)} % of rows of each plane image; validation crops come only from there`,
        },
      },
    });
    return Trainer.#build(config, settings, o.out, data, o.backend, null);
  }

  /** Continues the run saved in `out` exactly (weights, optimiser moments, EMA, PRNG state, iteration). */
  static async resume(out: string, o: { data?: TrainerOptions['data']; backend?: BackendChoice } = {}): Promise<Trainer> {
    const dir = await checkpointDir(out);
    if (!dir) throw new InvalidArgumentError(`train --resume: no checkpoint in ${out}`);
    const ck = await loadCheckpoint(dir);
    if (!ck.training) throw new InvalidArgumentError(`train --resume: ${dir} is a model dir without training state`);
    const notes = (ck.config.notes ?? {}) as { trainer?: TrainerSettings; data?: { sources?: string[] } };
    const settings = { ...DEFAULT_TRAINER, ...(notes.trainer ?? {}) };
    const src = o.data ?? notes.data?.sources;
    if (!src || (Array.isArray(src) && src.some((s) => s === '<volume>'))) throw new InvalidArgumentError('train --resume: pass the training data again (it was given as an in-memory Volume)');
    const data = await loadTrainingData(src, ck.config.training, ck.config.size, settings.heldOutFraction);
    return Trainer.#build(ck.config, settings, out, data, o.backend, ck);
  }

  static async #build(
    config: ModelConfig, settings: TrainerSettings, out: string, data: TrainingData, backend: BackendChoice | undefined,
    ck: Awaited<ReturnType<typeof loadCheckpoint>> | null,
  ): Promise<Trainer> {
    const generator = ck ? ck.generator : createGenerator(config);
    const critics: Record<string, Critic> = {};
    if (config.training === 'paired') critics.volume = createCritic(config, { nd: 3, seed: config.seed + 1 });
    else AXES.forEach((a, i) => (critics[a] = createCritic(config, { nd: 2, seed: config.seed + 1 + i })));
    const o = config.optim;
    const optimizers: Record<string, Adam> = { generator: new Adam(generator, { lr: o.lrG, betas: o.betas, eps: o.eps }) };
    for (const [n, c] of Object.entries(critics)) optimizers[n] = new Adam(c, { lr: o.lrD, betas: o.betas, eps: o.eps });
    const ema = await Ema.of(generator, o.emaDecay);
    let rng = new Random(config.seed * 7919 + 17);
    let state: TrainerState = { iteration: 0, rng: rng.state(), best: null, skipped: { critic: 0, generator: 0 }, seconds: 0, scoreVersion: SCORE_VERSION };
    if (ck?.training) {
      ck.training.restore({ critics, optimizers, ema });
      const s = ck.training.state as unknown as TrainerState;
      state = { ...state, ...s };
      // a checkpoint scored with an older validation formula: its best score does not compare with new ones
      // (version 2 added the input-use term to the single paired score; other modes' scores did not change)
      if (s.scoreVersion !== SCORE_VERSION && config.mode === 'single' && config.training === 'paired') state.best = null;
      state.scoreVersion = SCORE_VERSION;
      rng = Random.fromState(s.rng);
    }
    const evalGen = createGenerator(config);
    return new Trainer({ config, settings, out, data, generator, critics, optimizers, ema, rng, state, backend, evalGen });
  }

  #validationSet(): { blocks?: Uint8Array[]; planes?: Record<PlaneName, Uint8Array[]> } {
    const r = new Random(424242);
    const S = this.config.size, n = this.settings.validationBlocks;
    if (this.data.mode === 'paired') return { blocks: heldOutBlocks(this.data, S, n, r) };
    const planes = {} as Record<PlaneName, Uint8Array[]>;
    for (const p of ['xy', 'xz', 'yz'] as const) planes[p] = heldOutPlaneCrops(this.data, p, S, n, r);
    return { planes };
  }

  /** The adversarial weight at an iteration: 0 for advStartIterations, then a linear ramp to loss.advWeight. */
  advWeightAt(it: number): number {
    const { advStartIterations: a, advRampIterations: r } = this.settings;
    if (it < a) return 0;
    return this.config.loss.advWeight * Math.min(1, r > 0 ? (it - a + 1) / r : 1);
  }

  #depthWeights(): Float32Array | null {
    const S = this.config.size, d = this.settings.depthDecay;
    if (this.config.mode !== 'single' || this.config.training !== 'paired' || !(d > 0)) return null;
    const w = Float32Array.from({ length: S }, (_, z) => Math.exp(-z / d));
    const m = w.reduce((a, b) => a + b, 0) / S;
    return w.map((x) => x / m);
  }

  /** Inputs of one sample: its sections (paired) from a block. */
  #sectionsOf(block: Uint8Array): Uint8Array[] {
    const S = this.config.size, n = S * S;
    return sectionPositions(S, this.config.sections).map((z) => block.slice(z * n, (z + 1) * n));
  }

  /** One training iteration (critic step(s) then a generator step). */
  async step(): Promise<{ losses: Record<string, number>; advWeight: number }> {
    if (this.#disposed) throw new InvalidArgumentError('Trainer: disposed');
    const c = this.config, S = c.size, P = c.phases, N = c.optim.batchSize, rng = this.#rng;
    const it = this.#state.iteration;
    const advWeight = this.advWeightAt(it);
    const losses: Record<string, number> = {};
    const tensors: Tensor[] = [];
    try {
      let inputs;
      let real: Tensor | undefined;
      if (c.training === 'paired') {
        const blocks = Array.from({ length: N }, () => randomBlock(this.data, S, rng));
        inputs = prepareInputs(c, blocks.map((b) => this.#sectionsOf(b)));
        const oh = new Float32Array(N * P * S * S * S);
        blocks.forEach((b, i) => oh.set(oneHot(b, P), i * P * S * S * S));
        real = tensor(oh, [N, P, S, S, S]);
        tensors.push(real);
      } else {
        inputs = prepareInputs(c, Array.from({ length: N }, () => [randomPlaneCrop(this.data, 'xy', S, rng)]));
      }
      tensors.push(inputs.slices, ...(inputs.baseline ? [inputs.baseline] : []));
      const criticOn = advWeight > 0 || it >= this.settings.advStartIterations - Math.min(100, this.settings.advStartIterations);
      if (criticOn) {
        for (let k = 0; k < c.optim.criticSteps; k++) {
          const noiseSeed = rng.nextU32();
          if (c.training === 'paired') {
            const r = await criticStepPaired({ generator: this.generator, critic: this.critics.volume, opt: this.optimizers.volume, inputs, real: real!, config: c, rng, noiseSeed, backend: this.#backend });
            if (!r.applied) this.#state.skipped.critic++;
            Object.assign(losses, { d: r.loss, gp: r.gp, w: r.wasserstein });
          } else {
            const rs = {} as Record<'x' | 'y' | 'z', Tensor>;
            for (const a of AXES) {
              const plane = (Object.keys(PLANE_AXIS) as PlaneName[]).find((p) => PLANE_AXIS[p] === a)!;
              const crops = new Float32Array(N * S * P * S * S);
              for (let m = 0; m < N * S; m++) crops.set(oneHot(randomPlaneCrop(this.data, plane, S, rng), P), m * P * S * S);
              rs[a] = tensor(crops, [N * S, P, S, S]);
              tensors.push(rs[a]);
            }
            const r = await criticStep2d({ generator: this.generator, critics: this.critics as Record<'x' | 'y' | 'z', Critic>, opts: this.optimizers as Record<'x' | 'y' | 'z', Adam>, inputs, realSlices: rs, config: c, rng, noiseSeed, backend: this.#backend });
            let d = 0, w = 0, gp = 0;
            for (const a of AXES) {
              if (!r[a].applied) this.#state.skipped.critic++;
              d += r[a].loss; w += r[a].wasserstein; gp += r[a].gp;
            }
            Object.assign(losses, { d, gp, w });
          }
        }
      }
      const noiseSeed = rng.nextU32();
      const g: GenStepResult = await generatorStep({
        generator: this.generator, config: c, opt: this.optimizers.generator, ema: this.ema, inputs, noiseSeed, backend: this.#backend,
        terms: {
          advWeight, l1Weight: c.loss.l1Weight, ceWeight: c.training === 'paired' ? this.settings.ceWeight : 0, pfWeight: this.settings.pfWeight,
          ssimWeight: c.training === 'paired' ? this.settings.ssimWeight ?? 0 : 0,
          depthWeights: this.#depthWeights(), fractions: this.data.fractions,
        },
        ...(c.training === 'paired' ? { real, critic: this.critics.volume } : { critics: this.critics as Record<'x' | 'y' | 'z', Critic>, positions: [0] }),
      });
      if (!g.applied) this.#state.skipped.generator++;
      Object.assign(losses, { g: g.loss, adv: g.adv, l1: g.l1, ce: g.ce, pf: g.pf, ...(g.ssim !== undefined ? { ssim: g.ssim } : {}) });
    } finally {
      for (const t of tensors) t.dispose();
    }
    this.#state.iteration++;
    this.#state.rng = rng.state();
    return { losses, advWeight };
  }

  /** Held-out validation with the EMA weights (fixed seeds: it consumes none of the training randomness). */
  async validate(): Promise<ValidationResult> {
    const c = this.config, S = c.size, P = c.phases;
    this.ema.copyTo(this.#evalGen);
    const gen = async (sections: Uint8Array[], seed: number): Promise<Uint8Array> => {
      const inp = prepareInputs(c, [sections]);
      try {
        const probs = await this.#evalGen.predict(inp, { noiseSeed: seed, backend: this.#backend });
        try {
          const lab = await probabilitiesToLabels(probs);
          if (c.mode === 'single') lab.set(sections[0], 0);
          return lab;
        } finally {
          probs.dispose();
        }
      } finally {
        inp.slices.dispose();
        inp.baseline?.dispose();
      }
    };
    const shape: Shape3 = [S, S, S];
    const maxLag = Math.min(20, S - 1);
    const metrics: Record<string, number> = {};
    let score: number;
    let preview: { real: Uint8Array; fake: Uint8Array } | undefined;
    if (c.training === 'paired') {
      const blocks = this.#val.blocks!;
      const fakes: Uint8Array[] = [];
      for (let i = 0; i < blocks.length; i++) fakes.push(await gen(this.#sectionsOf(blocks[i]), 1000 + i));
      preview = { real: blocks[0], fake: fakes[0] };
      const meanFr = (vs: Uint8Array[]) => vs.map((v) => phaseFractions(v, P)).reduce((a, f) => a.map((x, i) => x + f[i] / vs.length), new Array(P).fill(0));
      const fr = meanFr(fakes), rr = meanFr(blocks);
      metrics.fractionError = fr.reduce((s, x, i) => s + Math.abs(x - rr[i]), 0) / P;
      metrics.s2Rmse = rmsDiff(meanCurves(fakes.map((v) => twoPointAll(v, shape, P, maxLag))), meanCurves(blocks.map((v) => twoPointAll(v, shape, P, maxLag))));
      metrics.agreement = fakes.reduce((s, f, i) => s + agreement(f, blocks[i]), 0) / blocks.length;
      if (c.mode === 'single') {
        const n = S * S, z1 = Math.min(5, S);
        metrics.nearInputAgreement = fakes.reduce((s, f, i) => s + agreement(f.subarray(n, z1 * n), blocks[i].subarray(n, z1 * n)), 0) / blocks.length;
        // statistics right and the input used (an untrained model has right-ish statistics but ignores the input)
        score = metrics.fractionError + metrics.s2Rmse + (1 - metrics.nearInputAgreement);
      } else {
        if (S >= 11) {
          let ssim = 0, psnr = 0;
          for (let i = 0; i < blocks.length; i++) {
            const scale = (v: Uint8Array) => v; // compareVolumes scales labels by phases itself
            const r = await compareVolumes({ shape, data: scale(fakes[i]) }, { shape, data: scale(blocks[i]) }, { phases: P });
            ssim += r.ssimUniform / blocks.length;
            psnr += (r.psnr ?? 99) / blocks.length;
          }
          metrics.ssim = ssim;
          metrics.psnr = psnr;
          score = -ssim;
        } else score = -metrics.agreement;
      }
    } else {
      const planes = this.#val.planes!;
      const fakes: Uint8Array[] = [];
      for (let i = 0; i < planes.xy.length; i++) fakes.push(await gen([planes.xy[i]], 1000 + i));
      preview = { real: planes.xz[0], fake: fakes[0] };
      let frErr = 0, s2 = 0;
      for (const p of ['xy', 'xz', 'yz'] as const) {
        const a = PLANE_AXIS[p];
        // generated slices across axis a, as 2D images [1, rows, cols]
        const sl: Uint8Array[] = [];
        for (const f of fakes) for (let j = 0; j < S; j += Math.max(1, S >> 3)) sl.push(sliceAcross(f, S, a, j));
        const real = planes[p];
        const frF = phaseFractions(concat(sl), P), frR = phaseFractions(concat(real), P);
        const e = frF.reduce((s, x, i) => s + Math.abs(x - frR[i]), 0) / P;
        const sh: Shape3 = [1, S, S];
        const d = rmsDiff(meanCurves(sl.map((v) => twoPointAll(v, sh, P, maxLag))), meanCurves(real.map((v) => twoPointAll(v, sh, P, maxLag))));
        metrics[`fractionError_${p}`] = e;
        metrics[`s2Rmse_${p}`] = d;
        frErr += e / 3;
        s2 += d / 3;
      }
      metrics.fractionError = frErr;
      metrics.s2Rmse = s2;
      score = frErr + s2;
    }
    const res: ValidationResult = { iteration: this.#state.iteration, score, metrics };
    await this.#writePreview(preview!, res.iteration);
    return res;
  }

  async #writePreview(p: { real: Uint8Array; fake: Uint8Array }, it: number): Promise<void> {
    const S = this.config.size, P = this.config.phases;
    const pick = (v: Uint8Array, axis: 'z' | 'y', j: number) => (v.length === S * S ? v : sliceAcross(v, S, axis, j));
    const tiles = [[pick(p.real, 'z', S >> 1), pick(p.fake, 'z', S >> 1)], [pick(p.real, 'y', S >> 1), pick(p.fake, 'y', S >> 1)]];
    const W = 2 * S + 2, H = 2 * S + 2;
    const img = new Uint8Array(W * H).fill(P);
    tiles.forEach((row, r) => row.forEach((t, c) => {
      for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) img[(r * (S + 2) + y) * W + c * (S + 2) + x] = t[y * S + x];
    }));
    const labels = Array.from({ length: P + 1 }, (_, i) => (i === P ? 128 : Math.round((i * 255) / Math.max(1, P - 1))));
    const path = await import('node:path');
    const fs = await import('node:fs/promises');
    const dir = path.join(this.out, 'previews');
    await fs.mkdir(dir, { recursive: true });
    await writeVolume(path.join(dir, `iter-${String(it).padStart(6, '0')}.png`), { shape: [1, H, W], data: img, labels: labels.map((l, i) => (i === P ? 200 : l)) });
  }

  async #saveBest(validation: ValidationResult): Promise<void> {
    const path = await import('node:path');
    const fs = await import('node:fs/promises');
    const dir = path.join(this.out, 'best');
    await saveModel(dir, this.#evalGen, { weights: this.ema.weights() });
    const cfgPath = path.join(dir, 'config.json');
    const cfg = JSON.parse(await fs.readFile(cfgPath, 'utf8'));
    cfg.notes = { ...(cfg.notes ?? {}), validation: { ...validation, trainedIterations: validation.iteration, trainingSeconds: Math.round(this.#state.seconds) } };
    await writeFileAtomic(cfgPath, `${JSON.stringify(cfg, null, 2)}\n`);
  }

  /** Writes the resumable checkpoint atomically (a new dir renamed over the old one). */
  async save(): Promise<void> {
    const path = await import('node:path');
    const fs = await import('node:fs/promises');
    await fs.mkdir(this.out, { recursive: true });
    const dir = path.join(this.out, 'checkpoint');
    const tmp = `${dir}.tmp`, old = `${dir}.old`;
    await fs.rm(tmp, { recursive: true, force: true });
    await saveCheckpoint(tmp, { generator: this.generator, ema: this.ema, critics: this.critics, optimizers: this.optimizers, state: this.#state as unknown as Record<string, unknown> });
    await fs.rm(old, { recursive: true, force: true });
    if (await exists(dir)) await fs.rename(dir, old);
    await fs.rename(tmp, dir);
    await fs.rm(old, { recursive: true, force: true });
    this.#lastSave = Date.now();
  }

  async #log(entry: Record<string, unknown>): Promise<void> {
    const fs = await import('node:fs/promises');
    const path = await import('node:path');
    await fs.mkdir(this.out, { recursive: true });
    await fs.appendFile(path.join(this.out, 'metrics.jsonl'), `${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
  }

  /**
   * Trains up to `iterations` (total, counting resumed ones). The signal stops the run at the next iteration
   * boundary (an iteration is never half applied), after which a checkpoint is written; result.aborted says so.
   */
  async train(o: { iterations: number; signal?: AbortSignal; onProgress?: (p: TrainProgress) => void; throwOnAbort?: boolean }): Promise<TrainResult> {
    const total = o.iterations;
    if (!Number.isInteger(total) || total < 0 || total > 1e9) throw new InvalidArgumentError(`train: iterations must be a non-negative integer, got ${total}`);
    const s = this.settings;
    const start = Date.now(), startIt = this.#state.iteration, baseSeconds = this.#state.seconds;
    let aborted = false;
    await this.#log({ type: 'event', event: startIt ? 'resume' : 'start', iteration: startIt, target: total, config: startIt ? undefined : this.config });
    if (!(await checkpointDir(this.out))) {
      // the untrained model's held-out score (sections mode: the shape-based interpolation it starts from)
      const v = await this.validate();
      await this.#log({ type: 'val', ...v, seconds: 0 });
      this.#state.best = { score: v.score, iteration: 0 };
      await this.#saveBest(v);
      await this.save();
    }
    while (this.#state.iteration < total) {
      if (o.signal?.aborted) {
        aborted = true;
        break;
      }
      const { losses, advWeight } = await this.step();
      const it = this.#state.iteration;
      this.#state.seconds = baseSeconds + (Date.now() - start) / 1000;
      const rate = (it - startIt) / Math.max(1e-3, (Date.now() - start) / 1000);
      let validation: ValidationResult | undefined;
      if (it % s.validateEvery === 0 || it === total) {
        validation = await this.validate();
        await this.#log({ type: 'val', ...validation, seconds: this.#state.seconds });
        if (!this.#state.best || validation.score < this.#state.best.score) {
          this.#state.best = { score: validation.score, iteration: it };
          await this.#saveBest(validation);
        }
      }
      if (it % s.logEvery === 0 || it === total)
        await this.#log({ type: 'train', iteration: it, advWeight, ...losses, skipped: this.#state.skipped, itPerSec: rate, seconds: this.#state.seconds });
      if (it % s.checkpointEvery === 0 || Date.now() - this.#lastSave > s.checkpointSeconds * 1000 || it === total) await this.save();
      o.onProgress?.({ iteration: it, total, losses, advWeight, itPerSec: rate, etaSeconds: (total - it) / Math.max(rate, 1e-9), skipped: { ...this.#state.skipped }, validation });
    }
    if (aborted) {
      await this.save();
      await this.#log({ type: 'event', event: 'aborted', iteration: this.#state.iteration });
      if (o.throwOnAbort) throw new AbortError(`training aborted at iteration ${this.#state.iteration} (checkpoint saved in ${this.out})`);
    }
    return { iteration: this.#state.iteration, aborted, best: this.#state.best, skipped: { ...this.#state.skipped }, seconds: this.#state.seconds };
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.generator.dispose();
    this.#evalGen.dispose();
    for (const c of Object.values(this.critics)) c.dispose();
  }
}

async function exists(p: string): Promise<boolean> {
  const fs = await import('node:fs/promises');
  return fs.access(p).then(() => true, () => false);
}

/** The checkpoint dir of a run (checkpoint/, or checkpoint.old/ when a save was interrupted between renames). */
export async function checkpointDir(out: string): Promise<string | null> {
  const path = await import('node:path');
  for (const d of ['checkpoint', 'checkpoint.old']) {
    const p = path.join(out, d);
    if (await exists(path.join(p, 'training.json'))) return p;
  }
  return null;
}

function concat(a: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(a.reduce((s, x) => s + x.length, 0));
  let o = 0;
  for (const x of a) {
    out.set(x, o);
    o += x.length;
  }
  return out;
}

/** Slice j across `axis` of a cube S^3 (z, y, x) as a 2D image: z: (y, x); y: (z, x); x: (z, y). */
export function sliceAcross(v: Uint8Array, S: number, axis: 'x' | 'y' | 'z', j: number): Uint8Array {
  const out = new Uint8Array(S * S);
  for (let a = 0; a < S; a++)
    for (let b = 0; b < S; b++) {
      const [z, y, x] = axis === 'z' ? [j, a, b] : axis === 'y' ? [a, j, b] : [a, b, j];
      out[a * S + b] = v[(z * S + y) * S + x];
    }
  return out;
}
