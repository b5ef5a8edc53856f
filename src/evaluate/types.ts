/**
 * The evaluation report: its types, its version and the names of the metrics `evaluate` can compute.
 * schema/report.schema.json documents the same structure as a JSON Schema; keep both in step (the tests validate
 * real reports against the schema) and bump REPORT_SCHEMA_VERSION when a field changes meaning or goes away.
 *
 * Nulls: the report never holds NaN or Infinity. `null` means "not defined for this input", and each field below
 * says when that happens (an axis of extent 1, a phase that does not percolate, a phase with no surface, ...).
 */
import type {
  AnisotropyStats,
  AxisValues,
  ChordLengthDistribution,
  ConnectivityStats,
} from '../metrics/native-stats.js';
import type { PermeabilityAxis, TortuosityAxis } from '../metrics/native-transport.js';

/** Semantic version of the report structure (major: incompatible change, minor: fields added). */
export const REPORT_SCHEMA_VERSION = '1.0.0';

/** Metric names accepted by `evaluate({ metrics })` and `--metrics`, as the report fields they fill. */
export type MetricName =
  | 'volumeFraction'
  | 'twoPointCorrelation'
  | 'linealPath'
  | 'chordLength'
  | 'surfaceArea'
  | 'connectivity'
  | 'poreSizeDistribution'
  | 'tortuosity'
  | 'anisotropy'
  | 'permeability';

export const METRIC_NAMES: readonly MetricName[] = [
  'volumeFraction',
  'twoPointCorrelation',
  'linealPath',
  'chordLength',
  'surfaceArea',
  'connectivity',
  'poreSizeDistribution',
  'tortuosity',
  'anisotropy',
  'permeability',
];

/** Computed when `metrics` is not given: everything except permeability (the slow Stokes solve). */
export const DEFAULT_METRICS: readonly MetricName[] = METRIC_NAMES.filter((m) => m !== 'permeability');

/**
 * Metrics that describe a 2D image: for a 2D input (shape [1, y, x], or a volume one voxel thick along x or y)
 * these are the defaults and the only ones allowed. Connectivity, pore size, tortuosity and permeability are
 * properties of the 3D material that a section does not show (a pore space that percolates in 3D is usually cut
 * into islands in a section), so `evaluate` refuses them for 2D input rather than report misleading numbers.
 */
export const METRICS_2D: readonly MetricName[] = [
  'volumeFraction',
  'twoPointCorrelation',
  'linealPath',
  'chordLength',
  'surfaceArea',
  'anisotropy',
];

/** Short aliases accepted besides the names (the statistic names of the metrics module). */
export const METRIC_ALIASES: Readonly<Record<string, MetricName>> = {
  twoPoint: 'twoPointCorrelation',
  s2: 'twoPointCorrelation',
  poreSize: 'poreSizeDistribution',
  localThickness: 'poreSizeDistribution',
  surface: 'surfaceArea',
};

export type { AxisValues };

export interface EvaluateProgressDetail {
  /** The running stage; 'done' comes once, with fraction 1, at the end. */
  kind: 'statistics' | 'tortuosity' | 'permeability' | 'similarity' | 'done';
  /** Which volume the stage works on. */
  target: 'volume' | 'reference';
  /** The phase (absent for 'similarity'). */
  label?: number;
  /** Fraction of this stage done, in [0, 1]. */
  stageFraction: number;
}

export interface EvaluateOptions {
  /** A volume to compare with (same shape): adds `reference` (its statistics) and `comparison` to the report. */
  reference?: EvaluateVolume;
  /** Phase indices to evaluate (default: every phase present in the volume). Each must occur in the volume. */
  phases?: readonly number[];
  /**
   * Metrics to compute (default DEFAULT_METRICS; for 2D input METRICS_2D). Names as in METRIC_NAMES or
   * METRIC_ALIASES, plus 'default' (the default set) and 'all' (every metric that applies to the input).
   */
  metrics?: readonly string[];
  /**
   * Voxel size in metres: one number, or [z, y, x] with equal values (the solvers and the surface densities need
   * cubic voxels; for a 2D image [1, y, x] only y and x must agree). Adds physical units to the report. The
   * volume's own `spacing` (in the file's unit, often unknown) is recorded in meta.fileSpacing but not used.
   */
  spacing?: number | readonly number[];
  /** Cancels the evaluation: the promise rejects with AbortError (code ERR_ABORTED). */
  signal?: AbortSignal;
  /**
   * Called (about every 100 ms while a stage runs, and at each stage's end) with the fraction of the whole
   * evaluation done, in [0, 1] and never decreasing, a short description of the running stage, and details.
   * Stages are weighted by their expected cost.
   */
  onProgress?: (fraction: number, stage: string, detail: EvaluateProgressDetail) => void;
}

/** What `evaluate` takes: a Volume from the IO module, or any object with a [z, y, x] shape and phase indices. */
export interface EvaluateVolume {
  shape: readonly [number, number, number] | readonly number[];
  data: Uint8Array;
  /** File value of each phase index (a Volume from readVolume has it); reported as `fileValue`. */
  labels?: readonly number[];
  /** The file's voxel size [z, y, x], unit unknown: recorded in meta.fileSpacing, not used. */
  spacing?: readonly number[];
}

// ---- per-phase report ------------------------------------------------------------------------------------------

export interface TwoPointReport extends AxisValues<number[]> {
  /** Radially averaged S2 (FFT, non-periodic), index = distance bin (voxels); pairs per bin. */
  radial: { values: number[]; pairs: number[] } | null;
}

export interface ChordLengthAxisReport extends ChordLengthDistribution {
  /** Mean chord length in metres (spacing known and chords present), else null. */
  meanMetres: number | null;
}

export interface SurfaceAreaReport {
  /** 'voxel^-1' in 3D (area in voxel faces per voxel), 'pixel^-1' in 2D (perimeter in pixel edges per pixel). */
  unit: 'voxel^-1' | 'pixel^-1';
  faceCount: number;
  marchingCubes: number;
  marchingCubesCorrected: number;
  /** Divisor used for the corrected value. */
  meshBias: number;
  faces: number;
  meshArea: number;
  /** Specific surface (3D: m^2 / m^3; 2D: perimeter m / area m^2), i.e. the densities above / spacing; null without spacing. */
  faceCountPerMetre: number | null;
  marchingCubesPerMetre: number | null;
  marchingCubesCorrectedPerMetre: number | null;
}

export interface PoreSizeReport {
  method: 'local-thickness';
  /** histogram[k] = voxels whose local thickness (diameter) rounds to k voxels. */
  histogram: number[];
  binWidth: 1;
  /** Voxel-weighted mean diameter (voxels). */
  mean: number;
  max: number;
  meanMetres: number | null;
}

export interface AnisotropyReport extends AnisotropyStats {
  /** correlationLength in metres (spacing known), per axis. */
  correlationLengthMetres: AxisValues<number> | null;
}

/** TortuosityAxis of the solver (relativeDiffusivity, tortuosityFactor, formationFactor, percolates, ...). */
export type TortuosityAxisReport = TortuosityAxis;
export type PermeabilityAxisReport = PermeabilityAxis;

export interface PhaseReport {
  /** The phase index (the value in volume.data). */
  label: number;
  /** The value this phase had in the file (volume.labels[label]); null when unknown. */
  fileValue: number | null;
  /** Voxels of the phase. */
  voxels: number;
  volumeFraction: number;
  twoPointCorrelation?: TwoPointReport;
  linealPath?: AxisValues<number[]>;
  chordLength?: AxisValues<ChordLengthAxisReport>;
  surfaceArea?: SurfaceAreaReport;
  connectivity?: ConnectivityStats;
  /** null when the phase fills the volume (no other phase to measure from). */
  poreSizeDistribution?: PoreSizeReport | null;
  /** Per axis; null for an axis of extent 1. */
  tortuosity?: AxisValues<TortuosityAxisReport>;
  anisotropy?: AnisotropyReport;
  /** Only when requested (metrics includes 'permeability'). */
  permeability?: AxisValues<PermeabilityAxisReport>;
}

/**
 * A reference phase that does not occur in the reference volume: only these fields (volumeFraction 0,
 * absent: true), and its comparison entries are null.
 */
export interface AbsentPhaseReport {
  label: number;
  fileValue: number | null;
  voxels: 0;
  volumeFraction: 0;
  absent: true;
}

// ---- comparison ------------------------------------------------------------------------------------------------

/** One number of the volume against the reference's. */
export interface Difference {
  volume: number | null;
  reference: number | null;
  /** volume - reference; null when either is null. */
  difference: number | null;
  /** (volume - reference) / |reference|; 0 when both are equal (0 included), null when reference is 0 or null. */
  relativeError: number | null;
}

export interface PhaseComparison {
  label: number;
  presentInReference: boolean;
  volumeFraction: Difference;
  /** Root-mean-square difference of the S2 curves over their common lags; null when the axis is absent. */
  twoPointCorrelationRmse?: AxisValues<number> & { radial: number | null };
  linealPathRmse?: AxisValues<number>;
  chordLengthMean?: AxisValues<Difference>;
  surfaceArea?: { faceCount: Difference; marchingCubes: Difference; marchingCubesCorrected: Difference };
  poreSizeMean?: Difference;
  tortuosityFactor?: AxisValues<Difference>;
  relativeDiffusivity?: AxisValues<Difference>;
  anisotropyDegree?: Difference;
  permeability?: AxisValues<Difference>;
}

export interface Comparison {
  /** SSIM, 3D Gaussian window (sigma 1.5, 11 taps) on labels scaled to label / (P - 1); null when an extent < 11. */
  ssim: number | null;
  /** SSIM with a 7^3 (2D: 7^2) uniform window; null when an extent < 11. */
  ssimUniform: number | null;
  /** Mean squared error of the scaled labels. */
  mse: number;
  /** 10 log10(1 / mse) dB; null when the volumes are identical (mse = 0). */
  psnr: number | null;
  /** P used to scale the labels (largest label of either volume + 1, at least 2). */
  scaledPhases: number;
  phases: PhaseComparison[];
}

// ---- the report --------------------------------------------------------------------------------------------------

export interface ReportMeta {
  microreconVersion: string;
  /** ISO 8601. */
  createdAt: string;
  durationSeconds: number;
  /** Threads of the native thread pool; null when unknown. */
  threads: number | null;
  /** [z, y, x] of the volume as given. */
  shape: [number, number, number];
  /** 2 for a 2D image or a volume one voxel thick along an axis, else 3. */
  dimensions: 2 | 3;
  /** The image plane of 2D input ('xy', 'xz', 'yz'); null in 3D. */
  plane: 'xy' | 'xz' | 'yz' | null;
  /** Voxel size in metres (the `spacing` option); null when not given. */
  spacing: number | null;
  /** The volume's own spacing [z, y, x] from its file (unit unknown), not used; null when absent. */
  fileSpacing: number[] | null;
  /** Metrics computed. */
  metrics: MetricName[];
  /** Phase indices evaluated. */
  phases: number[];
  /** Phases present in the volume: index, file value, fraction. */
  phasesPresent: { label: number; fileValue: number | null; volumeFraction: number }[];
  /** Conventions, one short sentence each. */
  methods: Record<string, string>;
  constants: { meshBias3d: number; meshBias2d: number; isotropicMaxDegree: number; isotropicMaxCorrelationRatio: number };
  /** Wall seconds per stage. */
  timings: { stage: string; seconds: number }[];
}

export interface Report {
  schemaVersion: string;
  meta: ReportMeta;
  /** One entry per evaluated phase, in increasing label order. */
  phases: PhaseReport[];
  /** The reference's statistics (same phases and metrics), when a reference was given. */
  reference?: {
    shape: [number, number, number];
    /** How reference phase indices were renumbered to match the volume's by file value; null when unchanged. */
    labelMapping: { from: number; to: number }[] | null;
    phases: (PhaseReport | AbsentPhaseReport)[];
  };
  comparison?: Comparison;
}
