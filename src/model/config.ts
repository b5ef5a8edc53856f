/**
 * The model's JSON config (config.json beside model.safetensors): the architecture, the task, and every training
 * hyper-parameter. resolveConfig fills defaults and validates; parseConfig does the same for a file's contents
 * (FormatError instead of InvalidArgumentError).
 */
import { FormatError, InvalidArgumentError } from '../core/errors.js';

export type ModelMode = 'single' | 'sections';
export type TrainingMode = 'paired' | '2d';

export interface GeneratorConfig {
  /** 2D encoder widths, one per level (level l works at size / 2^l) */
  encoderChannels: number[];
  /** 3D decoder widths, one per level; the lift at level l makes decoderChannels[l] * (size / 2^l) 2D channels */
  decoderChannels: number[];
  /** channels of the 2D noise map concatenated to the input */
  noiseChannels: number;
  /** channels of the 3D noise volume concatenated at the bottleneck */
  noise3dChannels: number;
  /** MSHFA projection channels per scale */
  headChannels: number;
  /** MCAM branch dilations (3x3 convs) */
  dilations: number[];
  /** MCAM squeeze-excitation reduction */
  seReduction: number;
  /** CBAM channel-MLP reduction */
  cbamReduction: number;
  /** CBAM spatial attention kernel (odd) */
  cbamKernel: number;
  /** leaky relu slope */
  slope: number;
  /** sections mode: baseline logits = -bound * tanh(distance / (temperature * bound)) */
  baselineTemperature: number;
  baselineBound: number;
}

export interface CriticConfig {
  /** widths of the stride-2 4^nd convs; size / 2^length is the kernel of the final conv */
  channels: number[];
  slope: number;
}

export interface LossConfig {
  /** gradient penalty weight */
  gpLambda: number;
  /** drift term weight: critic loss += drift * mean D(real)^2, keeping scores near 0 (ProGAN) */
  drift: number;
  /** weight of the adversarial term in the generator loss */
  advWeight: number;
  /** weight of the L1 image-regularisation term (paired mode) */
  l1Weight: number;
}

export interface OptimConfig {
  lrG: number;
  lrD: number;
  betas: [number, number];
  /** Adam epsilon */
  eps: number;
  criticSteps: number;
  emaDecay: number;
  batchSize: number;
  /** global gradient-norm clip (0: off) */
  gradClip: number;
}

export interface ModelConfig {
  format: 'microrecon-model';
  version: 1;
  /** 'single': one slice at z = 0; 'sections': k serial sections at round(i (size-1) / (k-1)) */
  mode: ModelMode;
  /** 'paired': a 3D critic on volumes; '2d': 2D critics on x/y/z slices */
  training: TrainingMode;
  /** output depth (and default height/width) */
  size: number;
  phases: number;
  /** k: 1 in single mode */
  sections: number;
  /** seed of the weight initialisation */
  seed: number;
  generator: GeneratorConfig;
  critic: CriticConfig;
  loss: LossConfig;
  optim: OptimConfig;
  /** how the Reconstructor runs this model by default (options passed to reconstruct() override it) */
  inference?: InferenceConfig;
  /** free-form facts (data, held-out region, commands); kept as given */
  notes?: Record<string, unknown>;
}

export interface InferenceConfig {
  /**
   * x/y tile edge (a multiple of 2^(levels-1)); default the model size. A model trained on crops wider than its
   * depth (train_torch.py --tile) learned lateral structure at that width and is run with tiles of it.
   */
  tile?: number;
}

export type ModelConfigInput = Partial<Omit<ModelConfig, 'generator' | 'critic' | 'loss' | 'optim' | 'inference'>> & {
  inference?: Partial<InferenceConfig>;
  generator?: Partial<GeneratorConfig>;
  critic?: Partial<CriticConfig>;
  loss?: Partial<LossConfig>;
  optim?: Partial<OptimConfig>;
};

export const DEFAULT_GENERATOR: GeneratorConfig = {
  encoderChannels: [16, 32, 64, 64],
  decoderChannels: [8, 16, 32, 64],
  noiseChannels: 4,
  noise3dChannels: 4,
  headChannels: 4,
  dilations: [1, 2, 3],
  seReduction: 4,
  cbamReduction: 4,
  cbamKernel: 7,
  slope: 0.2,
  baselineTemperature: 1,
  baselineBound: 6,
};
export const DEFAULT_CRITIC: CriticConfig = { channels: [16, 32, 64, 64], slope: 0.2 };
export const DEFAULT_LOSS: LossConfig = { gpLambda: 10, drift: 1e-3, advWeight: 0.01, l1Weight: 1 };
export const DEFAULT_OPTIM: OptimConfig = {
  lrG: 5e-4, lrD: 1e-4, betas: [0.5, 0.9], eps: 1e-8, criticSteps: 1, emaDecay: 0.999, batchSize: 2, gradClip: 5,
};

function fail(msg: string): never {
  throw new InvalidArgumentError(`model config: ${msg}`);
}
const int = (v: unknown, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(`${what} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v;
};
const num = (v: unknown, what: string, min: number, max = Infinity, openMin = false): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (openMin && v === min) || v > max)
    fail(`${what} must be a number in ${openMin ? '(' : '['}${min}, ${max}], got ${JSON.stringify(v)}`);
  return v;
};
const ints = (v: unknown, what: string, min: number, minLen = 1): number[] => {
  if (!Array.isArray(v) || v.length < minLen) fail(`${what} must be an array of at least ${minLen} integers, got ${JSON.stringify(v)}`);
  return v.map((x, k) => int(x, `${what}[${k}]`, min));
};

/** Fills defaults and validates (InvalidArgumentError naming the field). */
export function resolveConfig(input: ModelConfigInput = {}): ModelConfig {
  if (input === null || typeof input !== 'object') fail('must be an object');
  const mode = input.mode ?? 'single';
  if (mode !== 'single' && mode !== 'sections') fail(`mode must be 'single' or 'sections', got ${JSON.stringify(mode)}`);
  const training = input.training ?? 'paired';
  if (training !== 'paired' && training !== '2d') fail(`training must be 'paired' or '2d', got ${JSON.stringify(training)}`);
  const size = int(input.size ?? 64, 'size', 4, 4096);
  const phases = int(input.phases ?? 2, 'phases', 2, 255);
  const sections = int(input.sections ?? (mode === 'single' ? 1 : 7), 'sections', 1, size);
  if (mode === 'single' && sections !== 1) fail(`single mode takes 1 section, got sections = ${sections}`);
  if (mode === 'sections' && sections < 2) fail(`sections mode needs at least 2 sections, got ${sections}`);
  const g = { ...DEFAULT_GENERATOR, ...(input.generator ?? {}) };
  const generator: GeneratorConfig = {
    encoderChannels: ints(g.encoderChannels, 'generator.encoderChannels', 1),
    decoderChannels: ints(g.decoderChannels, 'generator.decoderChannels', 1),
    noiseChannels: int(g.noiseChannels, 'generator.noiseChannels', 0),
    noise3dChannels: int(g.noise3dChannels, 'generator.noise3dChannels', 0),
    headChannels: int(g.headChannels, 'generator.headChannels', 1),
    dilations: ints(g.dilations, 'generator.dilations', 1),
    seReduction: int(g.seReduction, 'generator.seReduction', 1),
    cbamReduction: int(g.cbamReduction, 'generator.cbamReduction', 1),
    cbamKernel: int(g.cbamKernel, 'generator.cbamKernel', 1, 15),
    slope: num(g.slope, 'generator.slope', 0, 1),
    baselineTemperature: num(g.baselineTemperature, 'generator.baselineTemperature', 0, 1e6, true),
    baselineBound: num(g.baselineBound, 'generator.baselineBound', 0, 1e6, true),
  };
  const L = generator.encoderChannels.length;
  if (L < 2) fail(`the generator needs at least 2 levels, got encoderChannels ${JSON.stringify(generator.encoderChannels)}`);
  if (generator.decoderChannels.length !== L)
    fail(`generator.decoderChannels has ${generator.decoderChannels.length} levels, encoderChannels ${L}`);
  if (size % 2 ** (L - 1)) fail(`size ${size} must be divisible by 2^(levels-1) = ${2 ** (L - 1)} (levels = ${L})`);
  if (generator.cbamKernel % 2 === 0) fail(`generator.cbamKernel must be odd, got ${generator.cbamKernel}`);
  const c = { ...DEFAULT_CRITIC, ...(input.critic ?? {}) };
  const critic: CriticConfig = { channels: ints(c.channels, 'critic.channels', 1), slope: num(c.slope, 'critic.slope', 0, 1) };
  if (size % 2 ** critic.channels.length || size / 2 ** critic.channels.length < 1)
    fail(`size ${size} must be divisible by 2^(critic levels) = ${2 ** critic.channels.length}`);
  const l = { ...DEFAULT_LOSS, ...(input.loss ?? {}) };
  const loss: LossConfig = {
    gpLambda: num(l.gpLambda, 'loss.gpLambda', 0),
    drift: num(l.drift, 'loss.drift', 0),
    advWeight: num(l.advWeight, 'loss.advWeight', 0),
    l1Weight: num(l.l1Weight, 'loss.l1Weight', 0),
  };
  const o = { ...DEFAULT_OPTIM, ...(input.optim ?? {}) };
  if (!Array.isArray(o.betas) || o.betas.length !== 2) fail(`optim.betas must be [beta1, beta2], got ${JSON.stringify(o.betas)}`);
  const optim: OptimConfig = {
    lrG: num(o.lrG, 'optim.lrG', 0, 1, true),
    lrD: num(o.lrD, 'optim.lrD', 0, 1, true),
    betas: [num(o.betas[0], 'optim.betas[0]', 0, 0.999999), num(o.betas[1], 'optim.betas[1]', 0, 0.999999)],
    eps: num(o.eps, 'optim.eps', 0, 1, true),
    criticSteps: int(o.criticSteps, 'optim.criticSteps', 0, 100),
    emaDecay: num(o.emaDecay, 'optim.emaDecay', 0, 1),
    batchSize: int(o.batchSize, 'optim.batchSize', 1, 1024),
    gradClip: num(o.gradClip, 'optim.gradClip', 0),
  };
  if (input.format !== undefined && input.format !== 'microrecon-model') fail(`format must be 'microrecon-model', got ${JSON.stringify(input.format)}`);
  if (input.version !== undefined && input.version !== 1) fail(`version ${JSON.stringify(input.version)} is not supported (this build reads version 1)`);
  const seed = input.seed ?? 0;
  if (!Number.isSafeInteger(seed)) fail(`seed must be a safe integer, got ${JSON.stringify(seed)}`);
  let inference: InferenceConfig | undefined;
  if (input.inference !== undefined) {
    if (input.inference === null || typeof input.inference !== 'object' || Array.isArray(input.inference)) fail(`inference must be an object, got ${JSON.stringify(input.inference)}`);
    inference = {};
    if (input.inference.tile !== undefined) {
      const f = 2 ** (L - 1);
      inference.tile = int(input.inference.tile, 'inference.tile', f, 4096);
      if (inference.tile % f) fail(`inference.tile ${inference.tile} must be a multiple of 2^(levels-1) = ${f}`);
    }
  }
  return {
    format: 'microrecon-model', version: 1, mode, training, size, phases, sections, seed, generator, critic, loss, optim,
    ...(inference !== undefined ? { inference } : {}),
    ...(input.notes !== undefined ? { notes: input.notes } : {}),
  };
}

/** A config file's contents: parsed and validated, errors as FormatError. */
export function parseConfig(text: string, what = 'config.json'): ModelConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new FormatError(`${what}: not valid JSON (${(err as Error).message})`);
  }
  try {
    return resolveConfig(raw as ModelConfigInput);
  } catch (err) {
    throw new FormatError(`${what}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * z positions of k sections through `depth` slices: round(i (depth-1) / (k-1)) with Python's round-half-to-even
 * (exact integer arithmetic), as the data's serial sections were cut (nmc_sections7.tif: 0,10,21,32,42,52,63 for
 * depth 64); k = 1: [0].
 */
export function sectionPositions(depth: number, k: number): number[] {
  if (k === 1) return [0];
  const den = k - 1;
  return Array.from({ length: k }, (_, i) => {
    const n = i * (depth - 1);
    const q = Math.floor(n / den), r2 = 2 * (n - q * den);
    return r2 > den || (r2 === den && q % 2 === 1) ? q + 1 : q;
  });
}
