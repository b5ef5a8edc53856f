export {
  Trainer, DEFAULT_TRAINER, checkpointDir, sliceAcross,
  type TrainerOptions, type TrainerSettings, type TrainProgress, type TrainResult, type ValidationResult,
} from './trainer.js';
export { loadTrainingData, planeFromName, PLANE_AXIS, type TrainingData, type PlaneName, type HeldOut } from './data.js';
export { phaseFractions, twoPoint, twoPointAll, agreement, rmsDiff, meanCurves, cropLabels } from './stats.js';
export { planeConsistency, directionalCorrelation, type PlaneConsistency, type AxisConsistency } from './plane-consistency.js';
