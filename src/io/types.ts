/**
 * Public types of the IO module. Axis order everywhere is [z, y, x] (page, row, column), C order: x varies fastest.
 */

/** The element type stored in the source file (what `info` prints as the file's dtype). */
export type SourceDtype =
  | 'bool'
  | 'uint8'
  | 'int8'
  | 'uint16'
  | 'int16'
  | 'uint32'
  | 'int32'
  | 'uint64'
  | 'int64'
  | 'float32'
  | 'float64';

/** File formats this module reads ('jpeg' is read-only) or writes. 'mha' is MetaImage with the data inline. */
export type VolumeFormat = 'tiff' | 'png' | 'jpeg' | 'npy' | 'mhd' | 'mha';

/**
 * A segmented volume: one phase index per voxel.
 * - `data[(z * ny + y) * nx + x]` is the phase (0..P-1) of voxel (z, y, x).
 * - `labels[i]` is the value phase i had in the file (e.g. [0, 255] for a pore/grain TIFF); writeVolume writes these
 *   values back, so a read/write round trip keeps the voxel values. Absent: phases are written as they are.
 * - `spacing` is the voxel size [z, y, x] in the file's unit (MetaImage ElementSpacing, or our TIFF description).
 * - `sourceDtype` / `sourceFormat` describe the file the volume came from (set by the readers, ignored on write).
 * - `threshold` is the grey value used when the volume was binarised with the `threshold` read option
 *   (phase 0: value <= threshold, phase 1: value > threshold).
 * A 2D image is a Volume with shape [1, y, x].
 */
export interface Volume {
  shape: [number, number, number];
  data: Uint8Array;
  spacing?: [number, number, number];
  labels?: number[];
  sourceDtype?: SourceDtype;
  sourceFormat?: VolumeFormat;
  threshold?: number;
}

/** Grey values as read from a file (raw mode). Integer types wider than 16 bits and float64 come as Float32Array. */
export type GreyData = Uint8Array | Uint16Array | Float32Array;

/** A greyscale (unsegmented) volume, from `readVolume(p, { raw: true })`. Same axis order and spacing as Volume. */
export interface GreyVolume {
  shape: [number, number, number];
  data: GreyData;
  spacing?: [number, number, number];
  sourceDtype: SourceDtype;
  sourceFormat?: VolumeFormat;
}

export interface ReadOptions {
  /**
   * Binarise grey values instead of treating distinct values as labels: phase 1 where value > threshold.
   * 'otsu' picks the threshold by Otsu's method (integer files: one bin per value; others: 256 bins).
   */
  threshold?: number | 'otsu';
  /** A file with at most this many distinct integer values is a label image (default 16). */
  maxLabels?: number;
  /** Refuse (OutOfMemoryError) files with more voxels than this before allocating (default 2^31 - 1). */
  maxVoxels?: number;
  /** Name used in error messages when bytes are passed instead of a path. */
  name?: string;
}

export interface RawReadOptions extends Omit<ReadOptions, 'threshold' | 'maxLabels'> {
  /** Return grey values unsegmented (a GreyVolume). */
  raw: true;
}

export interface ImageReadOptions extends ReadOptions {
  /** For a multi-page file (TIFF stack, 3D npy/mhd): which slice to return. Without it a stack is refused. */
  page?: number;
}

export interface RawImageReadOptions extends RawReadOptions {
  page?: number;
}

/** Element type written to the file. 'bool' is for NPY only; PNG takes 'uint8' or 'uint16'. */
export type WriteDtype = 'uint8' | 'uint16' | 'float32' | 'bool';

export interface WriteOptions {
  /** Overrides the format implied by the file extension. */
  format?: Exclude<VolumeFormat, 'jpeg'>;
  /** TIFF and MetaImage: 'deflate' (default for TIFF) or 'none' (default for MetaImage). PNG is always deflated. */
  compression?: 'none' | 'deflate';
  /**
   * Default: the file's own dtype (sourceDtype) when the format stores it and it holds every value, else the
   * narrowest of uint8, uint16, float32 that holds every written value exactly.
   */
  dtype?: WriteDtype;
}
