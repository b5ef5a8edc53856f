/**
 * The model layer: autograd, nn blocks, the U-net generator and critics, losses, Adam/EMA, safetensors
 * checkpoints, the classical interpolation baselines, and one-step training helpers. Speaks ops only.
 */
export * from './autograd/index.js';
export { Random, type RandomState } from './random.js';
export {
  resolveConfig, parseConfig, sectionPositions, DEFAULT_GENERATOR, DEFAULT_CRITIC, DEFAULT_LOSS, DEFAULT_OPTIM,
  type ModelConfig, type ModelConfigInput, type ModelMode, type TrainingMode, type GeneratorConfig, type CriticConfig,
  type LossConfig, type OptimConfig, type InferenceConfig,
} from './config.js';
export { Module, ModuleDict, type HostArray } from './nn/module.js';
export { Conv, Conv2d, Conv3d, ConvTranspose3d, Linear, InstanceNorm } from './nn/layers.js';
export { ChannelSE, MCAM, CBAM, MSHFA } from './nn/attention.js';
export {
  Generator, createGenerator, type GeneratorInputs, type NoiseInputs, type GeneratorForwardOptions, type GeneratorOutput,
} from './generator.js';
export { Critic, createCritic, volumeSlices } from './critic.js';
export { prepareInputs, probabilitiesToLabels, type PrepareOptions } from './inputs.js';
export * as losses from './losses.js';
export { Adam, Ema, type AdamOptions, type AdamState, type StepResult } from './optim.js';
export { encodeSafetensors, decodeSafetensors, readSafetensors, writeSafetensors, writeFileAtomic, type Safetensors } from './safetensors.js';
export {
  saveModel, loadModel, generatorFromBytes, saveCheckpoint, loadCheckpoint, MODEL_FILE, CONFIG_FILE, TRAINING_FILE, TRAINING_STATE_FILE,
  type CheckpointParts, type TrainingCheckpoint,
} from './checkpoint.js';
export {
  squaredEdt2d, signedDistance2d, interpolatedDistances, labelsFromDistances, shapeBasedInterpolation,
  nearestSectionFill, baselineLogits, oneHot, type SectionsGeometry,
} from './interpolate.js';
export {
  criticStepPaired, generatorStepPaired, criticStep2d, generatorStep2d, generateFakes, AXES,
  type Axis, type CriticStepResult, type GeneratorStepResult,
} from './steps.js';
