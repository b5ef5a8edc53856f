/**
 * The transport part of the native addon (bindings/transport.cpp), typed in one place. Raw results: the wrapper
 * in native-transport.ts validates inputs before calling and turns these into the public, JSON-able shapes.
 */
import { loadAddonFeature } from './addon-feature.js';

/** Array axis of a [z, y, x] volume: 0 = z, 1 = y, 2 = x. */
export type ArrayAxis = 0 | 1 | 2;

export interface RawTortuosityOptions {
  axis: ArrayAxis;
  /** On ||b - A x|| / ||b|| (true residual, float64). */
  tolerance: number;
  /** 0 = default (10000). */
  maxIterations: number;
  /** 0: c = 0, 1: linear profile. */
  initialGuess: 0 | 1;
  /** 0: Jacobi, 1: aggregation multigrid. */
  preconditioner: 0 | 1;
}

export interface RawTortuosity {
  percolates: boolean;
  relativeDiffusivity: number;
  phaseVoxels: number;
  connectedVoxels: number;
  /** Total flux per unit concentration difference, from the dissipation (second order in the error of c). */
  flux: number;
  fluxIn: number;
  fluxOut: number;
  iterations: number;
  residual: number;
  converged: boolean;
  levels: number;
  setupSeconds: number;
  solveSeconds: number;
}

export interface RawPermeabilityOptions {
  axis: ArrayAxis;
  reservoirLayers: number;
  /** 0: bounce-back walls at the side faces, 1: periodic side faces. */
  periodicSides: 0 | 1;
  /** On the estimated relative error of k. */
  tolerance: number;
  /** 0 = default (200000). */
  maxSteps: number;
  checkEvery: number;
  tau: number;
}

export interface RawPermeability {
  percolates: boolean;
  /** voxel^2 */
  permeability: number;
  porosity: number;
  fluidNodes: number;
  steps: number;
  change: number;
  converged: boolean;
  darcyVelocity: number;
  pressureGradient: number;
  viscosity: number;
  seconds: number;
}

export interface NativeTransportBinding {
  /** Shape is [z, y, x]; `control` is the Int32Array(2) of native/core/control.h (cancel, progress x 1e6). */
  tortuosity(
    labels: Uint8Array,
    shape: [number, number, number],
    label: number,
    options: RawTortuosityOptions,
    control?: Int32Array,
  ): Promise<RawTortuosity>;
  permeability(
    labels: Uint8Array,
    shape: [number, number, number],
    label: number,
    options: RawPermeabilityOptions,
    control?: Int32Array,
  ): Promise<RawPermeability>;
  setNumThreads(n: number): number;
}

/** The addon with its transport solvers; BackendUnavailableError (with the reason) when it cannot be used. */
export const loadTransportBinding = (): Promise<NativeTransportBinding> => loadAddonFeature<NativeTransportBinding>('transport solvers', ['tortuosity', 'permeability']);
