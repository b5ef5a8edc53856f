/**
 * Training data: a segmented volume (paired mode) or one image per plane (2D mode), split into a training region
 * and a held-out region that training never samples, with random crops and fixed validation blocks.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { readSegmented, readVolume } from '../io/index.js';
import type { Volume } from '../io/types.js';
import type { Random } from '../model/random.js';
import { minPlaneEdge, planeConsistency, type PlaneConsistency } from './plane-consistency.js';
import { cropLabels, phaseFractions, type Shape3 } from './stats.js';

export type PlaneName = 'xy' | 'xz' | 'yz';
/** The generator's slice axis each plane image trains: slices across z are xy planes (rows y, columns x), across y
 * are xz planes (rows z, columns x), across x are yz planes (rows z, columns y). */
export const PLANE_AXIS: Record<PlaneName, 'z' | 'y' | 'x'> = { xy: 'z', xz: 'y', yz: 'x' };

/** A region [lo, hi) per axis [z, y, x]. */
export interface Box {
  lo: Shape3;
  hi: Shape3;
}

export interface HeldOut {
  /** paired: the axis cut ('z' | 'y' | 'x'); 2d: 'y' (the last rows of every image) */
  axis: 'z' | 'y' | 'x';
  /** the held-out region starts at this index along the axis (to the end) */
  from: number;
  fraction: number;
}

export interface TrainingData {
  mode: 'paired' | '2d';
  phases: number;
  /** file values of the phases (written back as Volume.labels) */
  labels?: number[];
  /** paired: the volume; 2d: one image per plane */
  volume?: Volume;
  planes?: Record<PlaneName, Volume>;
  /** the files, as given */
  sources: string[];
  heldOut: HeldOut;
  /** phase fractions of the training region(s) */
  fractions: number[];
  /** how planes were assigned (2d) */
  planeFiles?: Record<PlaneName, string>;
  /** 2d with three images: whether they can be sections of one material (see plane-consistency.ts) */
  planeConsistency?: PlaneConsistency;
}

function maxPhase(v: Volume): number {
  let m = 0;
  for (let i = 0; i < v.data.length; i++) if (v.data[i] > m) m = v.data[i];
  return m + 1;
}

/** Plane of a file from its name (XY / XZ / YZ anywhere in it, case-insensitive), else null. */
export function planeFromName(file: string): PlaneName | null {
  const base = file.split(/[\\/]/).pop()!.toUpperCase();
  for (const p of ['XY', 'XZ', 'YZ'] as const) if (base.includes(p)) return p.toLowerCase() as PlaneName;
  return null;
}

/**
 * Loads training data. paired: one 3D file. 2d: 1 image (all three planes) or 3 images: by name when every name
 * contains XY / XZ / YZ, else in the order given (xy, xz, yz); a directory means its image files.
 */
export async function loadTrainingData(
  data: string | string[] | Volume | Volume[],
  mode: 'paired' | '2d',
  size: number,
  heldOutFraction: number,
): Promise<TrainingData> {
  if (!(heldOutFraction > 0 && heldOutFraction < 1)) throw new InvalidArgumentError(`heldOutFraction must be in (0, 1), got ${heldOutFraction}`);
  let list: Array<string | Volume> = Array.isArray(data) ? [...data] : [data];
  if (!list.length) throw new InvalidArgumentError('train: no training data given');
  const names: string[] = [];
  if (list.length === 1 && typeof list[0] === 'string') {
    const fs = await import('node:fs/promises');
    const path = await import('node:path');
    const st = await fs.stat(list[0]).catch(() => null);
    if (!st) throw new InvalidArgumentError(`train: ${list[0]}: no such file or directory`);
    if (st.isDirectory()) {
      const dir = list[0];
      list = (await fs.readdir(dir)).filter((f) => /\.(png|tiff?|npy|jpe?g)$/i.test(f)).sort().map((f) => path.join(dir, f));
      if (!list.length) throw new InvalidArgumentError(`train: ${dir} holds no image files`);
    }
  }
  const vols: Volume[] = [];
  for (const item of list) {
    if (typeof item === 'string') {
      names.push(item);
      vols.push(mode === 'paired' ? await readVolume(item) : await readSegmented(item, { image: true }));
    } else {
      names.push('<volume>');
      vols.push(item);
    }
  }
  if (mode === 'paired') {
    if (vols.length !== 1) throw new InvalidArgumentError(`train: paired mode takes one 3D volume, got ${vols.length} inputs`);
    const v = vols[0];
    const phases = Math.max(2, v.labels?.length ?? maxPhase(v));
    // hold out the end of the longest axis (ties: z first), at least `size` deep so held-out blocks fit
    const ax = ([0, 1, 2] as const).reduce((b, a) => (v.shape[a] > v.shape[b] ? a : b), 0 as 0 | 1 | 2);
    const ext = v.shape[ax];
    const cut = Math.max(Math.ceil(ext * heldOutFraction), size);
    for (const a of [0, 1, 2] as const)
      if (v.shape[a] < size) throw new InvalidArgumentError(`train: the volume ${v.shape.join('x')} is smaller than the crop size ${size} along ${'zyx'[a]}`);
    if (ext - cut < size) throw new InvalidArgumentError(`train: the volume is too small for ${size}^3 training crops plus a held-out block of ${size} along ${'zyx'[ax]} (extent ${ext})`);
    const from = ext - cut;
    const hi: Shape3 = [...v.shape];
    hi[ax] = from;
    const train = cropLabels(v.data, v.shape, [0, 0, 0], hi);
    return {
      mode, phases, labels: v.labels, volume: v, sources: names,
      heldOut: { axis: (['z', 'y', 'x'] as const)[ax], from, fraction: cut / ext }, fractions: phaseFractions(train, phases),
    };
  }
  // 2d
  for (const v of vols) if (v.shape[0] !== 1) throw new InvalidArgumentError(`train: 2d mode takes 2D images; got a stack of ${v.shape[0]} slices`);
  let planes: Record<PlaneName, Volume>;
  let planeFiles: Record<PlaneName, string>;
  if (vols.length === 1) {
    planes = { xy: vols[0], xz: vols[0], yz: vols[0] };
    planeFiles = { xy: names[0], xz: names[0], yz: names[0] };
  } else if (vols.length === 3) {
    const byName = names.map(planeFromName);
    const order: PlaneName[] = byName.every((p) => p) && new Set(byName).size === 3 ? (byName as PlaneName[]) : ['xy', 'xz', 'yz'];
    planes = {} as Record<PlaneName, Volume>;
    planeFiles = {} as Record<PlaneName, string>;
    order.forEach((p, i) => {
      planes[p] = vols[i];
      planeFiles[p] = names[i];
    });
  } else throw new InvalidArgumentError(`train: 2d mode takes 1 image (isotropic) or 3 (xy, xz, yz planes), got ${vols.length}`);
  const phases = Math.max(2, ...Object.values(planes).map((v) => v.labels?.length ?? maxPhase(v)));
  const cut = (h: number) => Math.max(Math.ceil(h * heldOutFraction), size);
  const fr = new Float64Array(phases);
  for (const [p, v] of Object.entries(planes)) {
    const [, h, w] = v.shape;
    if (w < size || h - cut(h) < size)
      throw new InvalidArgumentError(`train: plane ${p} image ${w}x${h} is too small for ${size}x${size} crops plus a held-out strip of ${cut(h)} rows`);
    const f = phaseFractions(v.data.subarray(0, (h - cut(h)) * w), phases);
    f.forEach((x, i) => (fr[i] += x / 3));
  }
  const h0 = planes.xy.shape[1];
  const lag = 32, edge = minPlaneEdge(lag);
  const fits = Object.values(planes).every((v) => v.shape[1] >= edge && v.shape[2] >= edge);
  const consistency = vols.length === 3 && fits ? planeConsistency(planes, { phases, maxLag: lag }) : undefined;
  return {
    mode, phases, labels: planes.xy.labels, planes, sources: names, planeFiles, ...(consistency ? { planeConsistency: consistency } : {}),
    heldOut: { axis: 'y', from: h0 - cut(h0), fraction: cut(h0) / h0 }, fractions: Array.from(fr),
  };
}

/** Start index along `axis` of a box of `size` in the training region (paired). */
function trainingBox(d: TrainingData, size: number): Box {
  const v = d.volume!;
  const hi: Shape3 = [...v.shape];
  hi[{ z: 0, y: 1, x: 2 }[d.heldOut.axis]] = d.heldOut.from;
  return { lo: [0, 0, 0], hi: hi.map((h) => h - size + 1) as Shape3 };
}

/** A random size^3 crop of the training region (paired). */
export function randomBlock(d: TrainingData, size: number, rng: Random): Uint8Array {
  const b = trainingBox(d, size);
  const at = b.hi.map((h) => rng.int(h)) as Shape3;
  return cropLabels(d.volume!.data, d.volume!.shape, at, [size, size, size]);
}

/** A random size^2 crop of a plane image's training rows (2d). */
export function randomPlaneCrop(d: TrainingData, plane: PlaneName, size: number, rng: Random): Uint8Array {
  const v = d.planes![plane];
  const [, h, w] = v.shape;
  const rows = h - Math.max(Math.ceil(h * d.heldOut.fraction - 1e-9), size);
  const y = rng.int(rows - size + 1), x = rng.int(w - size + 1);
  return cropLabels(v.data, v.shape, [0, y, x], [1, size, size]);
}

/** Fixed validation blocks (paired) from the held-out region, positions from their own seeded PRNG. */
export function heldOutBlocks(d: TrainingData, size: number, count: number, rng: Random): Uint8Array[] {
  const v = d.volume!;
  const ax = { z: 0, y: 1, x: 2 }[d.heldOut.axis];
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const at = [0, 1, 2].map((a) => {
      const lo = a === ax ? d.heldOut.from : 0;
      return lo + rng.int(v.shape[a] - size - lo + 1);
    }) as Shape3;
    out.push(cropLabels(v.data, v.shape, at, [size, size, size]));
  }
  return out;
}

/** Fixed validation crops of a plane image's held-out rows (2d). */
export function heldOutPlaneCrops(d: TrainingData, plane: PlaneName, size: number, count: number, rng: Random): Uint8Array[] {
  const v = d.planes![plane];
  const [, h, w] = v.shape;
  const from = h - Math.max(Math.ceil(h * d.heldOut.fraction - 1e-9), size);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const y = from + rng.int(h - size - from + 1), x = rng.int(w - size + 1);
    out.push(cropLabels(v.data, v.shape, [0, y, x], [1, size, size]));
  }
  return out;
}
