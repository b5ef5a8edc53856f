/**
 * What the format decoders hand back (grey values in the file's own type), and the checks on shapes and on Volumes
 * that every reader and writer share.
 */
import { FormatError, InvalidArgumentError, OutOfMemoryError } from '../core/errors.js';
import type { SourceDtype, Volume, VolumeFormat } from './types.js';

export type NumericArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

/** A file's content before segmentation. `labels` is a hint some files store (our TIFF description). */
export interface Decoded {
  shape: [number, number, number];
  data: NumericArray;
  dtype: SourceDtype;
  format: VolumeFormat;
  spacing?: [number, number, number];
  labels?: number[];
}

/** Default cap on voxels read: the largest Uint8Array length every supported engine allocates. */
export const DEFAULT_MAX_VOXELS = 2 ** 31 - 1;

export function formatError(name: string, problem: string, cause?: unknown): FormatError {
  return new FormatError(`${name}: ${problem}`, cause === undefined ? undefined : { cause });
}

/**
 * Checks a shape read from a file header before anything is allocated: positive integers, and a voxel count under
 * `maxVoxels` (OutOfMemoryError otherwise, so that a corrupt or hostile header cannot ask for petabytes).
 */
export function checkFileShape(shape: readonly number[], maxVoxels: number, name: string): number {
  for (const n of shape) {
    if (!Number.isSafeInteger(n) || n <= 0) throw formatError(name, `invalid dimension ${n} in shape [${shape.join(', ')}]`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count > maxVoxels) {
    throw new OutOfMemoryError(
      `${name}: shape [${shape.join(', ')}] has ${count} voxels, over the limit of ${maxVoxels} (option maxVoxels)`,
    );
  }
  return count;
}

export function checkMaxVoxels(maxVoxels: unknown): number {
  if (maxVoxels === undefined) return DEFAULT_MAX_VOXELS;
  if (typeof maxVoxels !== 'number' || !Number.isSafeInteger(maxVoxels) || maxVoxels <= 0) {
    throw new InvalidArgumentError(`maxVoxels must be a positive integer, got ${String(maxVoxels)}`);
  }
  return maxVoxels;
}

function isPositiveInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
}

/** Checks a Volume handed to a writer; returns the largest phase index in its data. */
export function validateVolume(vol: Volume, what = 'volume'): number {
  if (vol === null || typeof vol !== 'object') throw new InvalidArgumentError(`${what} must be an object`);
  const { shape, data, labels, spacing } = vol;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every(isPositiveInt)) {
    throw new InvalidArgumentError(`${what}.shape must be [z, y, x] of 3 positive integers, got ${JSON.stringify(shape)}`);
  }
  if (!(data instanceof Uint8Array)) {
    throw new InvalidArgumentError(`${what}.data must be a Uint8Array of phase indices`);
  }
  const count = shape[0] * shape[1] * shape[2];
  if (data.length !== count) {
    throw new InvalidArgumentError(
      `${what}.data has ${data.length} elements but shape [${shape.join(', ')}] needs ${count}`,
    );
  }
  let max = 0;
  for (let i = 0; i < data.length; i++) if (data[i] > max) max = data[i];
  if (labels !== undefined) {
    // Integers only: that is what the readers recognise as labels, so anything written can be read back.
    if (!Array.isArray(labels) || !labels.every((v) => typeof v === 'number' && Number.isSafeInteger(v))) {
      throw new InvalidArgumentError(`${what}.labels must be an array of integers (the file value of each phase)`);
    }
    if (labels.length < max + 1) {
      throw new InvalidArgumentError(
        `${what}.labels has ${labels.length} entries but the data holds phase ${max} (needs at least ${max + 1})`,
      );
    }
    if (new Set(labels).size !== labels.length) {
      throw new InvalidArgumentError(`${what}.labels must be distinct, got [${labels.join(', ')}]`);
    }
  }
  if (spacing !== undefined) {
    if (
      !Array.isArray(spacing) ||
      spacing.length !== 3 ||
      !spacing.every((s) => typeof s === 'number' && Number.isFinite(s) && s > 0)
    ) {
      throw new InvalidArgumentError(`${what}.spacing must be 3 finite positive numbers, got ${JSON.stringify(spacing)}`);
    }
  }
  return max;
}

export interface VolumeInfo {
  shape: [number, number, number];
  voxels: number;
  /** File value of each phase (phase indices when the volume has no labels). */
  labels: number[];
  /** Fraction of voxels in each phase, indexed like labels. */
  phaseFractions: number[];
  sourceDtype?: SourceDtype;
  sourceFormat?: VolumeFormat;
  spacing?: [number, number, number];
}

/** Shape, labels and phase fractions of a volume (what the CLI's `info` prints). */
export function volumeInfo(vol: Volume): VolumeInfo {
  const max = validateVolume(vol);
  const counts = new Float64Array(Math.max(max + 1, vol.labels?.length ?? 0));
  const { data } = vol;
  for (let i = 0; i < data.length; i++) counts[data[i]]++;
  const labels = vol.labels ? [...vol.labels] : Array.from(counts, (_, i) => i);
  return {
    shape: [...vol.shape],
    voxels: data.length,
    labels,
    phaseFractions: Array.from(counts, (c) => c / data.length),
    ...(vol.sourceDtype ? { sourceDtype: vol.sourceDtype } : {}),
    ...(vol.sourceFormat ? { sourceFormat: vol.sourceFormat } : {}),
    ...(vol.spacing ? { spacing: [...vol.spacing] as [number, number, number] } : {}),
  };
}
