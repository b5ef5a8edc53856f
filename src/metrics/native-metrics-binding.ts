/**
 * The statistics part of the native addon (bindings/metrics.cpp), typed in one place. Raw results: the wrapper in
 * native-stats.ts validates inputs before calling and turns these into the public, JSON-able shapes.
 */
import { loadAddonFeature } from './addon-feature.js';

/** Bits of `NativeStatsOptions.metrics` (native/metrics/phase_stats.h). */
export const NativeMetric = {
  twoPoint: 1,
  radial: 2,
  linealChord: 4,
  surface: 8,
  connectivity: 16,
  thickness: 32,
  anisotropy: 64,
} as const;

export interface NativeStatsOptions {
  metrics: number;
  /** Largest lag per axis [x, y, z] (clipped natively to floor(n / 2)). */
  maxLag: [number, number, number];
  /** < 0: floor(min extent / 2) over the axes longer than 1. */
  radialMaxLag: number;
  /** MIL test directions; 0 = the minimum (64 in 3D, 36 in 2D). */
  directions: number;
}

/** Per axis x, y, z (index 0, 1, 2); an axis of extent 1 gives empty arrays / zero counts. */
export interface RawAxisRuns {
  lineal: Float64Array;
  chords: Float64Array;
  chordCount: number;
  boundaryRuns: number;
  meanChord: number;
}

export interface RawPhaseStats {
  phaseVoxels: number;
  volumeFraction: number;
  twoPoint?: [Float64Array, Float64Array, Float64Array];
  radial?: { values: Float64Array; pairs: Float64Array };
  runs?: [RawAxisRuns, RawAxisRuns, RawAxisRuns];
  surface?: { faces: number; mesh: number; meshCorrected: number };
  connectivity?: { components: number; largest: number; percolates: [boolean, boolean, boolean]; euler: number };
  thickness?: { defined: boolean; counts: Float64Array; mean: number; max: number };
  anisotropy?: {
    defined: boolean;
    directions: number;
    degree: number;
    /** MIL along the principal directions, descending; < 0 = unbounded. */
    mil: [number, number, number];
    /** Principal directions as [x, y, z]. */
    axes: [[number, number, number], [number, number, number], [number, number, number]];
    /** Per axis x, y, z; < 0 = undefined. */
    correlationLength: [number, number, number];
    /** 1, 0, or -1 = undefined. */
    isotropic: number;
  };
}

export interface RawSimilarity {
  ssimGaussian: number;
  ssimUniform: number;
  mse: number;
}

export interface StatsConstants {
  /** Mean overestimate of binary marching-cubes area for planes of random orientation. */
  meshBias3d: number;
  /** The same for marching-squares perimeters. */
  meshBias2d: number;
  isotropicDA: number;
  isotropicRatio: number;
}

export interface NativeMetricsBinding {
  /** Shape is [z, y, x]; `control` is the Int32Array(2) of native/core/control.h (cancel, progress x 1e6). */
  phaseStatistics(
    labels: Uint8Array,
    shape: [number, number, number],
    phase: number,
    options: NativeStatsOptions,
    control?: Int32Array,
  ): Promise<RawPhaseStats>;
  compareVolumes(
    a: Uint8Array,
    b: Uint8Array,
    shape: [number, number, number],
    phases: number,
    control?: Int32Array,
  ): Promise<RawSimilarity>;
  labelCounts(labels: Uint8Array, shape: [number, number, number]): Promise<Float64Array>;
  statsConstants(): StatsConstants;
}

/** The addon with its statistics; BackendUnavailableError (with the reason) when it cannot be used. */
export const loadMetricsBinding = (): Promise<NativeMetricsBinding> => loadAddonFeature<NativeMetricsBinding>('statistics', ['phaseStatistics', 'compareVolumes']);
