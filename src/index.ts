/**
 * microrecon: reconstruct 3D material microstructures from 2D slices and evaluate how they perform.
 * The public face of the SDK: tensors and ops on every backend, IO, typed errors.
 */
import './backends/index.js';

export { backends, configureWasm, type BackendChoice, type BackendStatus, type WasmConfig, type WasmVariant } from './backends/index.js';
export { tensor, full, Tensor, type BackendName } from './core/tensor.js';
export * from './core/errors.js';
export * as ops from './ops/index.js';
export type { ConvOpOptions, ConvTransposeOpOptions, ConvGrads } from './ops/conv.js';
export {
  readVolume, readImage, writeVolume, encodeVolume, volumeInfo, labelsFromGrey, otsuThreshold, sampleDataPath,
  sampleDataDir, type Volume, type GreyVolume, type VolumeInfo, type ReadOptions, type WriteOptions,
} from './io/index.js';
export * from './evaluate/index.js';
// The building blocks of evaluate() and of the quality bench (bench/quality.mjs), callable one by one.
export {
  phaseStatistics, compareVolumes, labelCounts, type LabelVolume, type PhaseStatistics, type PhaseStatisticsOptions,
  type StatisticName, type VolumeSimilarity, type CompareOptions,
} from './metrics/native-stats.js';
export { tortuosity, type TortuosityOptions, type TortuosityResult, type TortuosityAxis } from './metrics/native-transport.js';
export { sectionPositions, shapeBasedInterpolation, nearestSectionFill, type SectionsGeometry } from './model/index.js';
export {
  Reconstructor, builtinModels, TiffStreamWriter, type ReconstructorInfo, type ReconstructOptions, type ReconstructInput,
} from './reconstructor/index.js';
export {
  Trainer, DEFAULT_TRAINER, planeConsistency, type PlaneConsistency, type TrainerOptions, type TrainerSettings, type TrainProgress, type TrainResult, type ValidationResult,
} from './trainer/index.js';
