/**
 * Reconstructor: runs a trained generator on a slice (single mode) or k serial sections (sections mode) and makes a
 * volume of any edge length: tiles of the model's size across x/y with overlap and linear blending of the phase
 * probabilities, and (single mode) continuation along depth, each new depth block conditioned on the last generated
 * slice. Slices are produced in z order (stream() / onSlice), so memory stays bounded by one depth block.
 */
import { AbortError, BackendUnavailableError, FormatError, InvalidArgumentError, MicroreconError, OutOfMemoryError } from '../core/errors.js';
import { checkBackendChoice, backends as listBackends, type BackendChoice } from '../backends/registry.js';
import { readSegmented } from '../io/index.js';
import type { Volume } from '../io/types.js';
import { tensor, type Tensor } from '../core/tensor.js';
import { generatorFromBytes, loadModel, prepareInputs, sectionPositions, type Generator, type ModelConfig, type NoiseInputs } from '../model/index.js';

export interface ReconstructorInfo {
  /** 'builtin:<name>' or the directory */
  name: string;
  dir: string;
  config: ModelConfig;
  mode: 'single' | 'sections';
  training: 'paired' | '2d';
  /** sections the model takes (1 in single mode) */
  k: number;
  phases: number;
  /** the file values of the phases (written into Volume.labels), when the model knows them */
  labels: number[] | null;
  /** the model's training size (depth of one generated block, tile edge across x/y) */
  size: number;
  /** held-out validation facts stored with the model, if any */
  validation: unknown;
  /**
   * Section counts this model takes: [k] alone, or more where the model directory holds variants for other counts
   * (sub-directories `sections-<k>/`, each a complete model; builtin:nmc takes 3, 5, 7 and 9). reconstruct() picks the
   * variant by the number of input sections.
   */
  sectionCounts: number[];
}

interface Variant {
  dir: string;
  info?: ReconstructorInfo;
  gen?: Generator;
}

export interface ReconstructOptions {
  /** output edge length: the volume is size^3 (default: the model size) */
  size?: number;
  /** noise seed (default 0): same seed, same volume */
  seed?: number;
  signal?: AbortSignal;
  /** fraction done in [0, 1] with a short stage text */
  onProgress?: (fraction: number, stage: string) => void;
  /** tile overlap in voxels (default: a quarter of the tile) */
  overlap?: number;
  /** width of the blending ramp inside the overlap, 1..overlap (default: the overlap) */
  feather?: number;
  /**
   * x/y tile edge in voxels, a multiple of 2^(levels-1) (default: the model config's inference.tile, else the model
   * size). The generator is convolutional across x/y, so a tile may be larger than the training size: fewer tiles,
   * fewer seams where independently generated structure meets, more memory per pass.
   */
  tile?: number;
  /**
   * single mode: slices shared by consecutive depth blocks, 0..size-2 (default: an eighth of the model size).
   * Each new block starts `depthOverlap` slices before the previous block's end and the shared slices blend the
   * two blocks' probabilities (the new block's weight ramping up). The first slices after a block's input slice
   * are its least certain (0 gives the plain continuation from the last slice, with a visible dip in porosity
   * right after each junction).
   */
  depthOverlap?: number;
}

export type ReconstructInput = Volume | Volume[] | string | string[];

/** Largest edge accepted by reconstruct() (the whole volume in memory) and by stream() (slice by slice). */
export const MAX_IN_MEMORY_SIZE = 1024;
export const MAX_STREAM_SIZE = 4096;
/** Working memory (the blended probabilities of one depth block) allowed, bytes. */
export const MAX_WORK_BYTES = 3 * 2 ** 30;

function int(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !Number.isInteger(v))
    throw new InvalidArgumentError(`${what} must be an integer, got ${typeof v === 'number' ? v : JSON.stringify(v)}`);
  if (v < min) throw new InvalidArgumentError(`${what} must be >= ${min}, got ${v}`);
  if (v > max) throw new InvalidArgumentError(`${what} ${v} is too large (at most ${max})`);
  return v;
}

/** The shipped model names (dirs under <package>/models holding config.json). */
export async function builtinModels(): Promise<string[]> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const { packageRoot } = await import('../core/package-root.js'); // lazy: Node only, keeps browser bundles clean
  const dir = path.join(packageRoot(), 'models');
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const out: string[] = [];
  for (const n of names.sort()) if (await fs.access(path.join(dir, n, 'config.json')).then(() => true, () => false)) out.push(n);
  return out;
}

/** A backend choice that is valid and, when named, available here. */
async function checkedBackend(v: unknown): Promise<BackendChoice> {
  const backend = checkBackendChoice(v);
  if (backend !== 'auto') {
    const st = (await listBackends()).find((b) => b.name === backend);
    if (!st?.available) throw new BackendUnavailableError(`backend '${backend}' is unavailable here: ${st?.reason ?? 'unknown'}`, { [backend]: st?.reason ?? 'unknown' });
  }
  return backend;
}

export class Reconstructor {
  readonly info: ReconstructorInfo;
  #gen: Generator | null;
  #backend: BackendChoice;
  /** variants for other section counts, loaded on first use */
  #variants: Map<number, Variant>;

  private constructor(info: ReconstructorInfo, gen: Generator, backend: BackendChoice, variants: Map<number, Variant>) {
    this.info = info;
    this.#gen = gen;
    this.#backend = backend;
    this.#variants = variants;
  }

  /** Loads 'builtin:<name>' or a model directory (config.json + model.safetensors). */
  static async load(model: string, o: { backend?: BackendChoice | string } = {}): Promise<Reconstructor> {
    if (typeof model !== 'string' || !model) throw new InvalidArgumentError(`Reconstructor.load: model must be 'builtin:<name>' or a directory, got ${JSON.stringify(model)}`);
    if (o === null || typeof o !== 'object') throw new InvalidArgumentError('Reconstructor.load: options must be an object');
    const backend = await checkedBackend(o.backend);
    const path = await import('node:path');
    const fs = await import('node:fs/promises');
    let dir = model;
    if (model.startsWith('builtin:')) {
      const name = model.slice(8);
      const names = await builtinModels();
      if (!names.includes(name))
        throw new InvalidArgumentError(`unknown builtin model '${name}'; available: ${names.map((n) => `builtin:${n}`).join(', ') || 'none (the package ships no models)'}`);
      const { packageRoot } = await import('../core/package-root.js');
      dir = path.join(packageRoot(), 'models', name);
    } else {
      const st = await fs.stat(dir).catch(() => null);
      if (!st) throw new InvalidArgumentError(`${dir}: no such model directory (or use builtin:<name>: ${(await builtinModels()).join(', ')})`);
      if (!st.isDirectory()) throw new InvalidArgumentError(`${dir}: not a directory (a model is a directory with config.json and model.safetensors)`);
    }
    const gen = await loadModel(dir);
    const variants = new Map<number, Variant>();
    if (gen.config.mode === 'sections')
      for (const e of await fs.readdir(dir, { withFileTypes: true })) {
        const m = /^sections-(\d+)$/.exec(e.name);
        if (e.isDirectory() && m && Number(m[1]) !== gen.config.sections) variants.set(Number(m[1]), { dir: path.join(dir, e.name) });
      }
    const info = infoOf(model, dir, gen.config, [gen.config.sections, ...variants.keys()].sort((a, b) => a - b));
    return new Reconstructor(info, gen, backend, variants);
  }

  /**
   * A model from its two files' contents (config.json text, model.safetensors bytes): for browsers, which fetch
   * them, and for models that do not live in a directory (no section-count variants).
   */
  static async fromBytes(model: { config: string; weights: Uint8Array; name?: string }, o: { backend?: BackendChoice | string } = {}): Promise<Reconstructor> {
    if (!model || typeof model !== 'object' || typeof model.config !== 'string' || !(model.weights instanceof Uint8Array))
      throw new InvalidArgumentError('Reconstructor.fromBytes: model must be { config: string (config.json), weights: Uint8Array (model.safetensors) }');
    if (o === null || typeof o !== 'object') throw new InvalidArgumentError('Reconstructor.fromBytes: options must be an object');
    const backend = await checkedBackend(o.backend);
    const name = model.name ?? 'model';
    const gen = generatorFromBytes(model.config, model.weights, name);
    return new Reconstructor(infoOf(name, '', gen.config, [gen.config.sections]), gen, backend, new Map());
  }

  /** The generator and facts for `count` input sections: the model itself or its variant for that count. */
  async #variant(count: number): Promise<{ gen: Generator; info: ReconstructorInfo }> {
    if (!this.#gen) throw new InvalidArgumentError('Reconstructor: disposed');
    const { k, mode, name, sectionCounts } = this.info;
    if (count === k) return { gen: this.#gen, info: this.info };
    const v = this.#variants.get(count);
    if (!v)
      throw new InvalidArgumentError(
        mode === 'single'
          ? `this model (${name}, single mode) takes one slice at z = 0, got ${count}`
          : `this model (${name}, sections mode) takes k = ${sectionCounts.join(', ')} sections, got ${count}`,
      );
    if (!v.gen) {
      const gen = await loadModel(v.dir);
      const c = gen.config;
      if (c.sections !== count || c.phases !== this.info.phases || c.mode !== 'sections') {
        gen.dispose();
        throw new FormatError(`${v.dir}: the variant for ${count} sections holds a model for ${c.sections} sections, ${c.phases} phases, mode ${c.mode} (expected ${count}, ${this.info.phases}, sections)`);
      }
      v.gen = gen;
      v.info = { ...infoOf(name, v.dir, c, sectionCounts), labels: this.info.labels };
    }
    return { gen: v.gen, info: v.info! };
  }

  /** Reads the input as a list of 2D slices (each slice of a stack is one section). */
  async #slices(input: ReconstructInput): Promise<{ data: Uint8Array; labels?: number[]; h: number; w: number }[]> {
    let vols: Volume[];
    if (typeof input === 'string') vols = [await readInput(input)];
    else if (Array.isArray(input)) vols = await Promise.all(input.map((v) => (typeof v === 'string' ? readInput(v) : v)));
    else vols = [input];
    if (!vols.length) throw new InvalidArgumentError('reconstruct: no input slices');
    const slices: { data: Uint8Array; labels?: number[]; h: number; w: number }[] = [];
    for (const [i, v] of vols.entries()) {
      if (!v || typeof v !== 'object' || !Array.isArray(v.shape) || v.shape.length !== 3)
        throw new InvalidArgumentError(`reconstruct: input ${i} is not a Volume { shape: [z, y, x], data }`);
      const [z, h, w] = v.shape;
      for (const d of v.shape) if (!Number.isInteger(d) || d < 1) throw new InvalidArgumentError(`reconstruct: input ${i} has an invalid shape [${v.shape.join(', ')}]`);
      if (!(v.data instanceof Uint8Array)) {
        const bad = (v.data as ArrayLike<number> | undefined) && Array.from(v.data as ArrayLike<number>).some((x) => !Number.isFinite(x));
        throw new InvalidArgumentError(`reconstruct: input ${i} data must be a Uint8Array of phase indices${bad ? ' (it holds NaN or infinite values)' : ''}`);
      }
      if (v.data.length !== z * h * w) throw new InvalidArgumentError(`reconstruct: input ${i} has ${v.data.length} values for shape [${v.shape.join(', ')}]`);
      for (let s = 0; s < z; s++) slices.push({ data: v.data.subarray(s * h * w, (s + 1) * h * w), labels: v.labels, h, w });
    }
    return slices;
  }

  /** Maps the slices onto the model's phase indices, each H x W. */
  #sections(slices: { data: Uint8Array; labels?: number[]; h: number; w: number }[], info: ReconstructorInfo): { sections: Uint8Array[]; height: number; width: number } {
    const { phases: P, labels } = info;
    const { h, w } = slices[0];
    if (slices.some((s) => s.h !== h || s.w !== w)) throw new InvalidArgumentError('reconstruct: the sections differ in size');
    // map the file's phases onto the model's: by file value when both know them, else as indices
    const sections = slices.map((s, i) => {
      let map: number[] | null = null;
      if (s.labels && labels) {
        map = s.labels.map((val) => {
          const j = labels.indexOf(val);
          if (j < 0) throw new InvalidArgumentError(`reconstruct: input ${i} has the value ${val}, which is not a phase of this model (its values: ${labels.join(', ')}); the input has ${s.labels!.length} phases, the model ${P}`);
          return j;
        });
      }
      const out = new Uint8Array(s.data.length);
      for (let j = 0; j < out.length; j++) {
        const p = map ? map[s.data[j]] : s.data[j];
        if (p === undefined || p >= P)
          throw new InvalidArgumentError(`reconstruct: input ${i} has phase ${s.data[j]} (of ${s.labels ? s.labels.length : 'unlabelled'} phases) but this model has ${P} phases`);
        out[j] = p;
      }
      return out;
    });
    return { sections, height: h, width: w };
  }

  /** The reconstructed volume, in memory (edge length <= MAX_IN_MEMORY_SIZE). */
  async reconstruct(input: ReconstructInput, o: ReconstructOptions = {}): Promise<Volume> {
    const size = o?.size ?? this.info.size;
    int(size, 'size', 1, MAX_IN_MEMORY_SIZE);
    const out = new Uint8Array(size * size * size);
    let z = 0;
    for await (const slice of this.stream(input, o)) out.set(slice, z++ * size * size);
    return { shape: [size, size, size], data: out, ...(this.info.labels ? { labels: [...this.info.labels] } : {}) };
  }

  /**
   * The volume slice by slice (z = 0, 1, ...), each size*size phase indices: memory stays one depth block
   * (the blended probabilities of `model size` slices) whatever the edge length.
   */
  async *stream(input: ReconstructInput, o: ReconstructOptions = {}): AsyncGenerator<Uint8Array> {
    if (o === null || typeof o !== 'object') throw new InvalidArgumentError('reconstruct: options must be an object');
    if (!this.#gen) throw new InvalidArgumentError('Reconstructor: disposed');
    const N = int(o.size ?? this.info.size, 'size', 1, MAX_STREAM_SIZE);
    const seed = int(o.seed ?? 0, 'seed', 0, Number.MAX_SAFE_INTEGER);
    const raw = await this.#slices(input);
    const { gen, info } = await this.#variant(raw.length);
    const { size: S, phases: P, k, mode } = info;
    if (mode === 'sections' && N < 2 * k - 1) throw new InvalidArgumentError(`size ${N} is too small for ${k} distinct sections with gaps between them (at least ${2 * k - 1})`);
    const f = 2 ** (info.config.generator.encoderChannels.length - 1);
    // default tile: the model's preferred width (config inference.tile, else its size), or one tile covering a smaller output
    const preferred = info.config.inference?.tile ?? S;
    let T = N >= preferred ? preferred : Math.max(f, Math.ceil(N / f) * f);
    if (o.tile !== undefined) {
      T = int(o.tile, 'tile', f, MAX_IN_MEMORY_SIZE);
      if (T % f) throw new InvalidArgumentError(`tile ${T} must be a multiple of ${f} (the generator halves x/y ${Math.log2(f)} times)`);
    }
    const overlap = int(o.overlap ?? Math.floor(T / 4), 'overlap', 0, T - 1);
    const M = Math.max(N, T);
    if (P * S * M * M * 4 > MAX_WORK_BYTES) throw new OutOfMemoryError(`reconstruct: size ${N} needs ${((P * S * M * M * 4) / 2 ** 30).toFixed(1)} GiB of working memory per depth block (limit ${MAX_WORK_BYTES / 2 ** 30} GiB)`);
    const { sections, height, width } = this.#sections(raw, info);
    if (height < 16 || width < 16) throw new InvalidArgumentError(`reconstruct: the input ${width}x${height} is smaller than the smallest tile (16x16)`);
    if (height < N || width < N)
      throw new InvalidArgumentError(`reconstruct: the input ${width}x${height} is smaller than the output size ${N}: pass a slice of at least ${N}x${N} or a smaller size`);
    const check = () => {
      if (o.signal?.aborted) throw new AbortError('reconstruct: aborted');
    };
    check();
    // input planes: the top-left N x N, reflected out to M x M when the tile is larger than the output
    const plane = (s: Uint8Array): Uint8Array => {
      const out = new Uint8Array(M * M);
      const refl = (i: number, n: number) => (i < n ? i : Math.max(0, 2 * n - 2 - i));
      for (let y = 0; y < M; y++) for (let x = 0; x < M; x++) out[y * M + x] = s[refl(y, Math.min(N, height)) * width + refl(x, Math.min(N, width))];
      return out;
    };
    let inputs: Uint8Array[] = sections.map(plane);
    const starts = tileStarts(M, T, overlap);
    // blending weight by distance to the tile edge: a linear ramp `feather` voxels wide centred in the overlap
    const feather = int(o.feather ?? Math.max(1, overlap), 'feather', 1, Math.max(1, overlap));
    const ramp = Float32Array.from({ length: T }, (_, i) => {
      const d = Math.min(i, T - 1 - i) + 0.5;
      return Math.min(1, Math.max(1e-3, (d - overlap / 2) / feather + 0.5));
    });
    // single mode: block b covers output z in [b*step, b*step + S); consecutive blocks share dOv + 1 slices
    const dOv = mode === 'single' ? int(o.depthOverlap ?? Math.floor(S / 8), 'depthOverlap', 0, S - 2) : 0;
    const step = S - 1 - dOv;
    const blocks = mode === 'single' ? (N <= S ? 1 : 1 + Math.ceil((N - S) / step)) : 1;
    let tail: Float32Array | null = null; // previous block's accumulators at its local z = step + 1 .. S - 1
    const tilesTotal = blocks * starts.length * starts.length;
    let tilesDone = 0;
    // sections mode: output z -> generator z (piecewise linear between the section planes)
    const outPos = sectionPositions(N, k), genPos = sectionPositions(S, k);
    const zmap = (z: number): number => {
      if (mode === 'single') return z;
      let i = 0;
      while (i < k - 2 && z > outPos[i + 1]) i++;
      const a = outPos[i], b = outPos[i + 1];
      const t = b > a ? (z - a) / (b - a) : 0;
      return Math.min(S - 1, Math.max(0, Math.round(genPos[i] + t * (genPos[i + 1] - genPos[i]))));
    };
    let emitted = 0;
    for (let blk = 0; blk < blocks && emitted < N; blk++) {
      const acc = new Float32Array(P * S * M * M);
      const wsum = new Float32Array(M * M);
      // tiles run in batches: small tiles (e.g. 32^3) are dominated by per-op overhead, so up to one 64^3 tile's
      // worth of voxels goes through the generator per call. Each tile keeps its own noise seed, so the volume is
      // the same as tile by tile.
      const tiles = starts.flatMap((y0, ty) => starts.map((x0, tx) => ({ ty, tx, y0, x0 })));
      const batch = Math.max(1, Math.floor(TILE_BATCH_VOXELS / (S * T * T)));
      for (let b0 = 0; b0 < tiles.length; b0 += batch) {
        check();
        const group = tiles.slice(b0, b0 + batch);
        const crops = group.map(({ y0, x0 }) =>
          inputs.map((p) => {
            const c = new Uint8Array(T * T);
            for (let y = 0; y < T; y++) c.set(p.subarray((y0 + y) * M + x0, (y0 + y) * M + x0 + T), y * T);
            return c;
          }),
        );
        const inp = prepareInputs(info.config, crops, { height: T, width: T });
        let probs;
        try {
          // one noise seed per (seed, block, tile): deterministic, different between tiles and blocks
          const noise = await batchNoise(gen, T, group.map(({ ty, tx }) => tileNoiseSeed(seed, blk, ty * starts.length + tx)));
          try {
            probs = await gen.predict(inp, { noise, backend: this.#backend });
          } finally {
            noise.map?.dispose();
            noise.volume?.dispose();
          }
        } finally {
          inp.slices.dispose();
          inp.baseline?.dispose();
        }
        const all = await probs.read();
        probs.dispose();
        const TT = T * T;
        for (const [j, { ty, tx, y0, x0 }] of group.entries()) {
          const v = all.subarray(j * P * S * TT, (j + 1) * P * S * TT);
          for (let y = 0; y < T; y++)
            for (let x = 0; x < T; x++) {
              const w = (ty === 0 && y < T / 2 ? 1 : ty === starts.length - 1 && y >= T / 2 ? 1 : ramp[y]) * (tx === 0 && x < T / 2 ? 1 : tx === starts.length - 1 && x >= T / 2 ? 1 : ramp[x]);
              const o2 = (y0 + y) * M + x0 + x;
              wsum[o2] += w;
              for (let p = 0; p < P; p++) for (let z = 0; z < S; z++) acc[(p * S + z) * M * M + o2] += w * v[(p * S + z) * TT + y * T + x];
            }
          tilesDone++;
          o.onProgress?.(tilesDone / tilesTotal, `block ${blk + 1}/${blocks}, tile ${ty * starts.length + tx + 1}/${starts.length ** 2}`);
        }
        await new Promise((r) => (typeof setImmediate === 'function' ? setImmediate(r) : setTimeout(r, 0))); // setImmediate is Node-only
      }
      const argmaxAt = (gz: number): Uint8Array => {
        const out = new Uint8Array(M * M);
        for (let i = 0; i < M * M; i++) {
          let best = acc[gz * M * M + i], arg = 0;
          for (let p = 1; p < P; p++) {
            const x = acc[(p * S + gz) * M * M + i];
            if (x > best) {
              best = x;
              arg = p;
            }
          }
          out[i] = arg;
        }
        return out;
      };
      const crop = (s: Uint8Array) => {
        const out = new Uint8Array(N * N);
        for (let y = 0; y < N; y++) out.set(s.subarray(y * M, y * M + N), y * N);
        return out;
      };
      if (mode === 'single') {
        const MM = M * M;
        const isLast = blk === blocks - 1;
        // shared slices: blend with the previous block's tail (same tiling, so the same blending weights per pixel)
        if (tail)
          for (let z = 1; z <= dOv; z++) {
            const t = z / (dOv + 1);
            for (let p = 0; p < P; p++) {
              const a = acc.subarray((p * S + z) * MM, (p * S + z + 1) * MM), b = tail.subarray((p * dOv + z - 1) * MM, (p * dOv + z) * MM);
              for (let i = 0; i < MM; i++) a[i] = t * a[i] + (1 - t) * b[i];
            }
          }
        const end = isLast ? S - 1 : step;
        let next: Uint8Array = inputs[0];
        for (let z = blk === 0 ? 0 : 1; z <= end && emitted < N; z++) {
          const s = z === 0 ? inputs[0] : argmaxAt(z);
          if (z === step) next = s;
          emitted++;
          yield crop(s);
        }
        if (!isLast) {
          tail ??= new Float32Array(P * dOv * MM); // the same size for every block
          for (let p = 0; p < P; p++) for (let z = 1; z <= dOv; z++) tail.set(acc.subarray((p * S + step + z) * MM, (p * S + step + z + 1) * MM), (p * dOv + z - 1) * MM);
          inputs = [next];
        }
      } else {
        for (let z = 0; z < N; z++) {
          const i = outPos.indexOf(z);
          emitted++;
          yield crop(i >= 0 ? inputs[i] : argmaxAt(zmap(z)));
        }
      }
    }
  }

  dispose(): void {
    this.#gen?.dispose();
    this.#gen = null;
    for (const v of this.#variants.values()) v.gen?.dispose();
    this.#variants.clear();
  }
}

function infoOf(name: string, dir: string, c: ModelConfig, sectionCounts: number[]): ReconstructorInfo {
  const notes = (c.notes ?? {}) as { data?: { labels?: unknown }; validation?: unknown };
  const lab = notes.data?.labels;
  const labels = Array.isArray(lab) && lab.length === c.phases && lab.every((x) => Number.isFinite(x)) ? (lab as number[]) : null;
  return {
    name, dir, config: c, mode: c.mode, training: c.training, k: c.sections, phases: c.phases, labels, size: c.size,
    validation: notes.validation ?? null, sectionCounts,
  };
}

/** Reads an input slice or stack, segmenting greyscale ones by Otsu's threshold as the Trainer does (io's readSegmented). */
export const readInput = (path: string): Promise<Volume> => readSegmented(path);

/** Voxels of generator output per call when batching tiles (one 64^3 tile: memory as for the 64^3 models). */
const TILE_BATCH_VOXELS = 64 ** 3;

/** The per-tile seeded noise (as predict's noiseSeed makes it for one tile) stacked along the batch. */
async function batchNoise(gen: Generator, T: number, seeds: number[]): Promise<NoiseInputs> {
  const parts = seeds.map((s) => gen.makeNoise(1, T, T, s));
  const stack = async (key: 'map' | 'volume'): Promise<Tensor | undefined> => {
    const first = parts[0][key];
    if (!first) return undefined;
    const n = first.size;
    const data = new Float32Array(n * parts.length);
    for (const [j, p] of parts.entries()) {
      data.set(await p[key]!.read(), j * n);
      p[key]!.dispose();
    }
    return tensor(data, [parts.length, ...first.shape.slice(1)]);
  };
  return { map: await stack('map'), volume: await stack('volume') };
}

/** Tile starts covering [0, M) with tiles of T overlapping by at least `overlap`. */
export function tileStarts(M: number, T: number, overlap: number): number[] {
  if (M <= T) return [0];
  const n = Math.ceil((M - overlap) / (T - overlap));
  return Array.from({ length: n }, (_, j) => Math.round((j * (M - T)) / (n - 1)));
}

/** The noise seed of one tile of one depth block: deterministic, different between tiles and blocks. */
export function tileNoiseSeed(seed: number, a: number, b: number): number {
  let h = (Math.floor(seed / 2 ** 32) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (a + 0x7f4a7c15), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (b + 0x165667b1), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export function isMicroreconError(e: unknown): e is MicroreconError {
  return e instanceof MicroreconError;
}
void FormatError;
