/**
 * File values <-> phase indices. The rule: a file with at most `maxLabels` (16) distinct integer values is a label
 * image, phase i being the i-th smallest value; anything else is greyscale and must be thresholded or read raw.
 */
import { FormatError, InvalidArgumentError } from '../core/errors.js';
import type { Decoded, NumericArray } from './volume.js';
import { formatError, validateVolume } from './volume.js';
import type { GreyData, GreyVolume, Volume, WriteDtype } from './types.js';

export const DEFAULT_MAX_LABELS = 16;

type Values = NumericArray | GreyData;

function isByteOrShort(d: Values): d is Uint8Array | Int8Array | Uint16Array | Int16Array {
  return d instanceof Uint8Array || d instanceof Int8Array || d instanceof Uint16Array || d instanceof Int16Array;
}

/** Sorted distinct values; 'many' when there are more than `max`, 'fractional' when some are not integers. */
function distinctIntegers(d: Values, max: number): number[] | 'many' | 'fractional' {
  if (d instanceof Uint8Array) {
    // The common case, kept monomorphic: it runs over every voxel of large stacks.
    const seen = new Uint8Array(256);
    for (let i = 0; i < d.length; i++) seen[d[i]] = 1;
    const out: number[] = [];
    for (let v = 0; v < 256; v++) if (seen[v]) out.push(v);
    return out.length <= max ? out : 'many';
  }
  if (isByteOrShort(d)) {
    const signed = d instanceof Int8Array || d instanceof Int16Array;
    const size = d instanceof Uint8Array || d instanceof Int8Array ? 256 : 65536;
    const base = signed ? size / 2 : 0;
    const seen = new Uint8Array(size);
    for (let i = 0; i < d.length; i++) seen[d[i] + base] = 1;
    const out: number[] = [];
    for (let v = 0; v < size; v++) if (seen[v]) out.push(v - base);
    return out.length <= max ? out : 'many';
  }
  const set = new Set<number>();
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (!Number.isInteger(v)) return 'fractional';
    if (!set.has(v)) {
      set.add(v);
      if (set.size > max) return 'many';
    }
  }
  return [...set].sort((a, b) => a - b);
}

/** Phase index of each voxel given the labels (file values) in phase order. Values not in labels are a bug here. */
function mapToPhases(d: Values, labels: number[]): Uint8Array {
  const out = new Uint8Array(d.length);
  if (d instanceof Uint8Array) {
    const lut = new Uint8Array(256);
    labels.forEach((v, i) => {
      if (v >= 0 && v < 256) lut[v] = i;
    });
    for (let i = 0; i < d.length; i++) out[i] = lut[d[i]];
    return out;
  }
  if (isByteOrShort(d)) {
    const signed = d instanceof Int8Array || d instanceof Int16Array;
    const size = d instanceof Uint8Array || d instanceof Int8Array ? 256 : 65536;
    const base = signed ? size / 2 : 0;
    const lut = new Uint8Array(size);
    labels.forEach((v, i) => {
      if (v + base >= 0 && v + base < size) lut[v + base] = i;
    });
    for (let i = 0; i < d.length; i++) out[i] = lut[d[i] + base];
    return out;
  }
  const index = new Map(labels.map((v, i) => [v, i]));
  for (let i = 0; i < d.length; i++) out[i] = index.get(d[i]) ?? 0;
  return out;
}

function greyError(name: string, dtype: string, max: number, why: 'many' | 'fractional'): FormatError {
  const what = why === 'many' ? `more than ${max} distinct values` : 'non-integer values';
  return new FormatError(
    `${name}: ${dtype} data with ${what} looks like a greyscale image, not a segmentation. ` +
      `Pass { threshold: 'otsu' } (or a number) to binarise it, or { raw: true } for the grey values` +
      (why === 'many' ? ', or a larger maxLabels' : ''),
  );
}

/** Otsu's threshold: integer data with a range under 65536 gets one bin per value, the rest 256 bins (skimage). */
export function otsuThreshold(data: Values): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(lo <= hi)) throw new InvalidArgumentError('otsu threshold: no finite values');
  if (lo === hi) return lo;
  const integer = isByteOrShort(data) || (data instanceof Uint32Array || data instanceof Int32Array);
  const exact = integer && hi - lo < 65536;
  const bins = exact ? hi - lo + 1 : 256;
  const width = exact ? 1 : (hi - lo) / bins;
  const hist = new Float64Array(bins);
  for (let i = 0; i < data.length; i++) {
    const b = exact ? data[i] - lo : Math.min(bins - 1, Math.floor((data[i] - lo) / width));
    hist[b]++;
  }
  const center = (b: number): number => (exact ? lo + b : lo + (b + 0.5) * width);
  let total = 0;
  let sum = 0;
  for (let b = 0; b < bins; b++) {
    total += hist[b];
    sum += hist[b] * center(b);
  }
  let w0 = 0;
  let s0 = 0;
  let best = -1;
  let bestBin = 0;
  for (let b = 0; b < bins - 1; b++) {
    w0 += hist[b];
    s0 += hist[b] * center(b);
    const w1 = total - w0;
    if (w0 === 0 || w1 === 0) continue;
    const diff = s0 / w0 - (sum - s0) / w1;
    const between = w0 * w1 * diff * diff;
    if (between > best) {
      best = between;
      bestBin = b;
    }
  }
  return center(bestBin);
}

export interface SegmentOptions {
  threshold?: number | 'otsu';
  maxLabels?: number;
}

function checkSegmentOptions(opts: SegmentOptions): number {
  const { threshold, maxLabels = DEFAULT_MAX_LABELS } = opts;
  if (threshold !== undefined && threshold !== 'otsu' && !(typeof threshold === 'number' && Number.isFinite(threshold))) {
    throw new InvalidArgumentError(`threshold must be a finite number or 'otsu', got ${String(threshold)}`);
  }
  if (!Number.isSafeInteger(maxLabels) || maxLabels < 1 || maxLabels > 256) {
    throw new InvalidArgumentError(`maxLabels must be an integer in 1..256, got ${String(maxLabels)}`);
  }
  return maxLabels;
}

/** Turns decoded file values into a Volume of phases (thresholding when asked). */
export function segment(d: Decoded, opts: SegmentOptions, name: string): Volume {
  const maxLabels = checkSegmentOptions(opts);
  const base = {
    shape: [...d.shape] as [number, number, number],
    ...(d.spacing ? { spacing: [...d.spacing] as [number, number, number] } : {}),
    sourceDtype: d.dtype,
    sourceFormat: d.format,
  };
  if (opts.threshold !== undefined) {
    const t = binarise(d.data, opts.threshold, name);
    return { ...base, data: t.data, threshold: t.threshold };
  }
  const values = distinctIntegers(d.data, Math.max(maxLabels, d.labels?.length ?? 0));
  if (!Array.isArray(values)) throw greyError(name, d.dtype, maxLabels, values);
  // A label list stored in the file keeps phases absent from this data (and their order); otherwise sort.
  const hinted = d.labels && values.every((v) => d.labels!.includes(v)) ? d.labels : undefined;
  if (!hinted && values.length > maxLabels) throw greyError(name, d.dtype, maxLabels, 'many');
  const labels = hinted ? [...hinted] : values;
  return { ...base, data: mapToPhases(d.data, labels), labels };
}

function binarise(data: Values, threshold: number | 'otsu', name: string): { data: Uint8Array; threshold: number } {
  if (data instanceof Float32Array || data instanceof Float64Array) {
    for (let i = 0; i < data.length; i++) {
      if (Number.isNaN(data[i])) throw formatError(name, 'contains NaN values; cannot threshold');
    }
  }
  const t = threshold === 'otsu' ? otsuThreshold(data) : threshold;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] > t ? 1 : 0;
  return { data: out, threshold: t };
}

/**
 * Segments a grey volume (from raw mode, or one you built): `threshold` binarises (phase 1 where value > t),
 * otherwise the distinct-values rule applies. The input is not modified.
 */
export function labelsFromGrey(grey: GreyVolume, options: SegmentOptions = {}): Volume {
  if (!grey || !(grey.data instanceof Uint8Array || grey.data instanceof Uint16Array || grey.data instanceof Float32Array)) {
    throw new InvalidArgumentError('grey.data must be a Uint8Array, Uint16Array or Float32Array');
  }
  const n = Array.isArray(grey.shape) && grey.shape.length === 3 ? grey.shape[0] * grey.shape[1] * grey.shape[2] : NaN;
  if (!(n === grey.data.length && grey.shape.every((s) => Number.isSafeInteger(s) && s > 0))) {
    throw new InvalidArgumentError(`grey.shape ${JSON.stringify(grey.shape)} does not match data length ${grey.data.length}`);
  }
  const d: Decoded = {
    shape: grey.shape,
    data: grey.data,
    dtype: grey.sourceDtype ?? 'float32',
    format: grey.sourceFormat ?? 'npy',
    ...(grey.spacing ? { spacing: grey.spacing } : {}),
  };
  const vol = segment(d, options, 'grey volume');
  if (!grey.sourceFormat) delete vol.sourceFormat;
  return vol;
}

const RANGES: Record<WriteDtype, [number, number]> = {
  bool: [0, 1],
  uint8: [0, 255],
  uint16: [0, 65535],
  float32: [-Infinity, Infinity],
};

function fits(v: number, dtype: WriteDtype): boolean {
  const [lo, hi] = RANGES[dtype];
  if (dtype === 'float32') return Math.fround(v) === v;
  return Number.isInteger(v) && v >= lo && v <= hi;
}

/**
 * The values to write for a Volume: labels[phase] (or the phase itself) as `dtype` when given, else as the file's
 * own dtype (vol.sourceDtype) when the format takes it and it holds every value, else the narrowest exact dtype.
 * Returns a fresh array; the Volume is not modified.
 */
export function fileValues(
  vol: Volume,
  dtype: WriteDtype | undefined,
  allowed: readonly WriteDtype[],
  format: string,
): { data: Uint8Array | Uint16Array | Float32Array; dtype: WriteDtype } {
  const max = validateVolume(vol);
  const values = vol.labels ? vol.labels.slice(0, max + 1) : Array.from({ length: max + 1 }, (_, i) => i);
  if (dtype !== undefined && !allowed.includes(dtype)) {
    throw new InvalidArgumentError(`${format} cannot store dtype ${dtype} (use one of ${allowed.join(', ')})`);
  }
  const own = allowed.find((t) => t === vol.sourceDtype && values.every((v) => fits(v, t)));
  const chosen = dtype ?? own ?? allowed.filter((t) => t !== 'bool').find((t) => values.every((v) => fits(v, t)));
  if (!chosen || !values.every((v) => fits(v, chosen))) {
    throw new InvalidArgumentError(
      `labels [${values.join(', ')}] cannot be written exactly as ${chosen ?? allowed.join(' or ')} in ${format}`,
    );
  }
  const n = vol.data.length;
  const out = chosen === 'uint16' ? new Uint16Array(n) : chosen === 'float32' ? new Float32Array(n) : new Uint8Array(n);
  if (!vol.labels) {
    out.set(vol.data);
  } else {
    const lut = Float64Array.from(values);
    const src = vol.data;
    for (let i = 0; i < n; i++) out[i] = lut[src[i]];
  }
  return { data: out, dtype: chosen };
}
