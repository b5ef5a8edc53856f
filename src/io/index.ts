/**
 * Volume and image IO: TIFF stacks, PNG, JPEG (read), NumPy .npy and MetaImage (.mhd/.raw, .mha).
 * See types.ts for the Volume contract (axes [z, y, x], phase indices plus the file values in `labels`).
 */
export { readVolume, readImage } from './read.js';
export { readSegmented } from './segmented.js';
export { writeVolume, encodeVolume } from './write.js';
export { labelsFromGrey, otsuThreshold, DEFAULT_MAX_LABELS } from './labels.js';
export { volumeInfo, DEFAULT_MAX_VOXELS } from './volume.js';
export type { VolumeInfo } from './volume.js';
export { sampleDataPath, sampleDataDir } from './fs.js';
export type {
  Volume,
  GreyVolume,
  GreyData,
  SourceDtype,
  VolumeFormat,
  ReadOptions,
  RawReadOptions,
  ImageReadOptions,
  RawImageReadOptions,
  WriteOptions,
  WriteDtype,
} from './types.js';
