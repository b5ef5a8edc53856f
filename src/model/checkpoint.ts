/**
 * Model directories and training checkpoints.
 *
 *   <dir>/config.json          the ModelConfig
 *   <dir>/model.safetensors    the generator's inference weights (the EMA when there is one), keyed by parameter name
 *   <dir>/training.safetensors optional: raw generator weights "generator.*", critics "critic.<name>.*", Adam moments
 *                              "adam.<name>.m.*" / "adam.<name>.v.*", EMA "ema.*"
 *   <dir>/training.json        optional: { id, adam: {name: step}, emaUpdates, state } (the trainer's own JSON state)
 *
 * Every file is written atomically; all files of one save share an `id` (safetensors metadata and JSON), so a save
 * interrupted between files is detected on load (FormatError) instead of resuming from a mix. Loading validates
 * names, shapes, dtypes and finiteness and throws FormatError for anything missing, corrupt or mismatched.
 */
import { FormatError, InvalidArgumentError } from '../core/errors.js';
import { parseConfig, type ModelConfig } from './config.js';
import type { Critic } from './critic.js';
import { Generator } from './generator.js';
import type { HostArray } from './nn/module.js';
import type { Adam, Ema } from './optim.js';
import { decodeSafetensors, readSafetensors, writeFileAtomic, writeSafetensors } from './safetensors.js';

export const MODEL_FILE = 'model.safetensors';
export const CONFIG_FILE = 'config.json';
export const TRAINING_FILE = 'training.safetensors';
export const TRAINING_STATE_FILE = 'training.json';

export interface CheckpointParts {
  generator: Generator;
  ema?: Ema;
  critics?: Record<string, Critic>;
  optimizers?: Record<string, Adam>;
  /** the trainer's JSON state (iteration, PRNG states, data description...) */
  state?: Record<string, unknown>;
}

async function nodeModules() {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  return { fs, path };
}

function prefixed(prefix: string, m: ReadonlyMap<string, HostArray>, into: Map<string, HostArray>): void {
  for (const [n, a] of m) into.set(prefix + n, a);
}

/** Writes an inference model dir (config.json + model.safetensors); `weights` overrides the generator's own. */
export async function saveModel(dir: string, generator: Generator, o: { weights?: ReadonlyMap<string, HostArray>; id?: string } = {}): Promise<void> {
  const { fs, path } = await nodeModules();
  await fs.mkdir(dir, { recursive: true });
  const id = o.id ?? newId();
  const weights = o.weights ?? (await generator.stateDict());
  await writeSafetensors(path.join(dir, MODEL_FILE), weights, { format: 'microrecon-model', id });
  await writeFileAtomic(path.join(dir, CONFIG_FILE), `${JSON.stringify({ ...generator.config, checkpointId: id }, null, 2)}\n`);
}

/** Writes a full training checkpoint (the model dir plus the training files). */
export async function saveCheckpoint(dir: string, parts: CheckpointParts): Promise<void> {
  const { fs, path } = await nodeModules();
  await fs.mkdir(dir, { recursive: true });
  const id = newId();
  const training = !!(parts.critics || parts.optimizers || parts.ema || parts.state);
  if (training) {
    const t = new Map<string, HostArray>();
    prefixed('generator.', await parts.generator.stateDict(), t);
    for (const [name, c] of Object.entries(parts.critics ?? {})) prefixed(`critic.${name}.`, await c.stateDict(), t);
    const adam: Record<string, number> = {};
    for (const [name, opt] of Object.entries(parts.optimizers ?? {})) {
      const s = opt.state();
      adam[name] = s.step;
      for (const [n, a] of s.m) t.set(`adam.${name}.m.${n}`, { shape: [a.length], data: a });
      for (const [n, a] of s.v) t.set(`adam.${name}.v.${n}`, { shape: [a.length], data: a });
    }
    if (parts.ema) prefixed('ema.', parts.ema.weights(), t);
    await writeSafetensors(path.join(dir, TRAINING_FILE), t, { format: 'microrecon-training', id });
    const json = { id, adam, emaUpdates: parts.ema?.updates ?? null, critics: Object.keys(parts.critics ?? {}), state: parts.state ?? {} };
    await writeFileAtomic(path.join(dir, TRAINING_STATE_FILE), `${JSON.stringify(json, null, 2)}\n`);
  }
  await saveModel(dir, parts.generator, { weights: parts.ema?.weights(), id });
}

async function readConfig(dir: string): Promise<{ config: ModelConfig; id?: string }> {
  const { fs, path } = await nodeModules();
  const file = path.join(dir, CONFIG_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new FormatError(`${file}: ${code === 'ENOENT' ? 'missing (not a model directory?)' : (err as Error).message}`, { cause: err });
  }
  const config = parseConfig(text, file);
  const id = (JSON.parse(text) as { checkpointId?: unknown }).checkpointId;
  return { config, id: typeof id === 'string' ? id : undefined };
}

/** A generator from the contents of config.json and model.safetensors (no file system: works in browsers). */
export function generatorFromBytes(configText: string, weights: Uint8Array, what = 'model'): Generator {
  const config = parseConfig(configText, `${what}/${CONFIG_FILE}`);
  const st = decodeSafetensors(weights, `${what}/${MODEL_FILE}`);
  const g = new Generator(config);
  try {
    g.loadStateDict(st.tensors, `${what}/${MODEL_FILE}`);
  } catch (err) {
    g.dispose();
    throw err;
  }
  return g;
}

/** The inference generator of a model dir (model.safetensors + config.json). */
export async function loadModel(dir: string): Promise<Generator> {
  if (typeof dir !== 'string' || !dir) throw new InvalidArgumentError('loadModel: dir must be a path');
  const { path } = await nodeModules();
  const { config, id } = await readConfig(dir);
  const file = path.join(dir, MODEL_FILE);
  const st = await readSafetensors(file);
  if (id && st.metadata.id && st.metadata.id !== id)
    throw new FormatError(`${file} and ${CONFIG_FILE} come from different saves (interrupted write?)`);
  const g = new Generator(config);
  try {
    g.loadStateDict(st.tensors, file);
  } catch (err) {
    g.dispose();
    throw err;
  }
  return g;
}

export interface TrainingCheckpoint {
  /** the trainer's JSON state */
  state: Record<string, unknown>;
  /** names of the saved critics */
  critics: string[];
  /** Loads critics, optimiser moments and the EMA into objects made from the same config. */
  restore(parts: { critics?: Record<string, Critic>; optimizers?: Record<string, Adam>; ema?: Ema }): void;
}

/**
 * A checkpoint for resuming: the generator with its raw training weights (the inference weights when the dir
 * has no training files), and the training part (null for a plain model dir).
 */
export async function loadCheckpoint(dir: string): Promise<{ config: ModelConfig; generator: Generator; training: TrainingCheckpoint | null }> {
  const { fs, path } = await nodeModules();
  const { config, id } = await readConfig(dir);
  const tfile = path.join(dir, TRAINING_FILE);
  const sfile = path.join(dir, TRAINING_STATE_FILE);
  const has = await fs.access(tfile).then(() => true, () => false);
  if (!has) return { config, generator: await loadModel(dir), training: null };
  const st = await readSafetensors(tfile);
  let json: { id?: unknown; adam?: Record<string, number>; emaUpdates?: number | null; critics?: string[]; state?: Record<string, unknown> };
  try {
    json = JSON.parse(await fs.readFile(sfile, 'utf8'));
  } catch (err) {
    throw new FormatError(`${sfile}: missing or not valid JSON (${(err as Error).message})`, { cause: err });
  }
  if (json.id !== st.metadata.id || (id && id !== json.id))
    throw new FormatError(`${dir}: ${TRAINING_FILE}, ${TRAINING_STATE_FILE} and ${CONFIG_FILE} come from different saves (interrupted write?)`);
  const group = (prefix: string) => {
    const m = new Map<string, HostArray>();
    for (const [n, a] of st.tensors) if (n.startsWith(prefix)) m.set(n.slice(prefix.length), a);
    return m;
  };
  const generator = new Generator(config);
  try {
    generator.loadStateDict(group('generator.'), `${tfile} (generator)`);
  } catch (err) {
    generator.dispose();
    throw err;
  }
  const training: TrainingCheckpoint = {
    state: json.state ?? {},
    critics: json.critics ?? [],
    restore(parts) {
      for (const [name, c] of Object.entries(parts.critics ?? {})) {
        if (!training.critics.includes(name)) throw new FormatError(`${tfile}: no critic named '${name}' (saved: ${training.critics.join(', ') || 'none'})`);
        c.loadStateDict(group(`critic.${name}.`), `${tfile} (critic ${name})`);
      }
      for (const [name, opt] of Object.entries(parts.optimizers ?? {})) {
        const step = json.adam?.[name];
        if (step === undefined) throw new FormatError(`${tfile}: no optimiser state named '${name}'`);
        const m = new Map([...group(`adam.${name}.m.`)].map(([n, a]) => [n, a.data]));
        const v = new Map([...group(`adam.${name}.v.`)].map(([n, a]) => [n, a.data]));
        try {
          opt.loadState({ step, m, v });
        } catch (err) {
          throw new FormatError(`${tfile}: optimiser '${name}': ${(err as Error).message}`, { cause: err });
        }
      }
      if (parts.ema) {
        if (json.emaUpdates === null || json.emaUpdates === undefined) throw new FormatError(`${tfile}: no EMA weights saved`);
        try {
          parts.ema.load(group('ema.'), json.emaUpdates);
        } catch (err) {
          throw new FormatError(`${tfile}: ema: ${(err as Error).message}`, { cause: err });
        }
      }
    },
  };
  return { config, generator, training };
}

function newId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
