/**
 * Transport properties of a segmented volume, solved natively (native/metrics/transport_*.cpp) off the event loop.
 *
 * Axes: `x`, `y`, `z` name the axes of the [z, y, x] volume (x = last, fastest index; z = first, the pages).
 *
 * Tortuosity (TauFactor convention). Voxels of `phase` conduct with D = 1, all others not. Along each axis the
 * concentration is fixed at 1 and 0 on planes half a voxel outside the two faces normal to the axis (boundary voxels
 * couple to them with conductance 2), the side faces are closed, voxel-centred finite volumes with face conductance
 * 1 between two conducting voxels. Voxels not 6-connected to both Dirichlet faces carry no flux; they are removed
 * (made non-conducting) before the solve, found by union-find over runs of voxels. Then
 *   relativeDiffusivity = D_eff / D0 = flux * length / (cross-section area * dc)   (it includes the porosity),
 *   tortuosityFactor    = volumeFraction / relativeDiffusivity   (volume fraction of the whole phase),
 *   formationFactor     = 1 / relativeDiffusivity.
 * The flux is evaluated as the dissipation sum over links of (dc)^2 (second-order accurate in the error of c).
 * Solver: conjugate gradients, float64 solution and residual, float32 search directions, preconditioned with an
 * aggregation multigrid V-cycle (2x2x2 blocks, Galerkin coarse operators, red-black Gauss-Seidel), stopped when the
 * true relative residual ||b - A c|| / ||b|| <= tolerance (default 1e-6). Reductions run over fixed blocks, so the
 * result is bit-identical for any thread count.
 * A phase that does not connect the two faces gives `{ percolates: false, relativeDiffusivity: 0,
 * tortuosityFactor: null, formationFactor: null }` (never NaN or Infinity). An axis of extent 1 is allowed (every
 * voxel is a column of its own: relativeDiffusivity = volumeFraction, tortuosityFactor = 1).
 *
 * Permeability. Stokes flow through the voxels of `phase` (the pore phase) by a D3Q19 two-relaxation-time lattice
 * Boltzmann scheme with the linear (Stokes) equilibrium and the "magic" parameter 3/16, halfway bounce-back at solid
 * voxels and at the side faces (`sides: 'periodic'` makes them periodic instead), driven by a body force along the
 * axis inside the sample, periodic along the axis, with `reservoirLayers` (default 3) open fluid layers added before
 * and after the sample. k = mu U / (g + dp / L): U = Darcy velocity (volumetric flux over the whole cross-section,
 * solid included), g = body force, dp = the pressure drop between the two faces (extrapolated linearly from the two
 * reservoir planes next to each face), L = the sample length. k is reported in voxel^2 and, with `spacing` (metres), in m^2 and mD (1 mD = 9.869233e-16 m^2).
 * Fluid not 18-connected (the lattice links) to both faces carries no flow and is removed first. The run stops when
 * the estimated relative error of k (from the decay of its change between checks) is below `tolerance`.
 * The native solve reads `volume.data` in place while the promise is pending: do not modify or transfer it meanwhile.
 * Validation (test/metrics/transport.test.ts): parallel plates k = h^2/12 * porosity and a square duct (series
 * solution), both within 1 % at 10-voxel openings; the remaining difference is the midpoint rule of the voxel
 * flux, 1 / (2 h^2) for plates, and halves twice per doubling of the resolution.
 */
import { InvalidArgumentError } from '../core/errors.js';
import {
  loadTransportBinding,
  type ArrayAxis,
  type NativeTransportBinding,
  type RawPermeability,
  type RawTortuosity,
} from './native-transport-binding.js';
import { runControlled } from './control.js';

/** A segmented volume: phase indices, shape [z, y, x]. `Volume` from the IO module fits. */
export interface TransportVolume {
  shape: readonly [number, number, number] | readonly number[];
  data: Uint8Array;
}

export type Axis = 'x' | 'y' | 'z';
export const AXES: readonly Axis[] = ['x', 'y', 'z'];
const ARRAY_AXIS: Record<Axis, ArrayAxis> = { z: 0, y: 1, x: 2 };

/** 1 mD in m^2. */
export const MILLIDARCY_M2 = 9.869233e-16;

export interface TransportProgressOptions {
  /** Stops the native solve; the promise rejects with AbortError (code ERR_ABORTED). */
  signal?: AbortSignal;
  /** Called with a non-decreasing fraction in [0, 1] while the solve runs (every `progressIntervalMs`) and 1 at the end. */
  onProgress?: (fraction: number) => void;
  /** Polling interval of the progress counter in ms (default 100). */
  progressIntervalMs?: number;
  /** Axes to solve (default ['x', 'y', 'z']), solved in this order. */
  axes?: readonly Axis[];
}

export interface TortuosityOptions extends TransportProgressOptions {
  /** The conducting phase (a phase index of the volume, 0..255). */
  phase: number;
  /** Relative residual ||b - A c|| / ||b|| to reach (default 1e-6; in (0, 0.1]). */
  tolerance?: number;
  /** Iteration cap (default 10000); `converged: false` when reached. */
  maxIterations?: number;
  /** Starting concentration: 'zero' (default) or 'linear' (1 to 0 along the axis). The result does not depend on it. */
  initialGuess?: 'zero' | 'linear';
  /** 'multigrid' (default) or 'jacobi' (slower, for checks). */
  preconditioner?: 'multigrid' | 'jacobi';
}

export interface TortuosityAxis {
  axis: Axis;
  /** Whether the phase connects the two faces normal to the axis. */
  percolates: boolean;
  /** D_eff / D0 (includes the porosity); 0 when the phase does not percolate. */
  relativeDiffusivity: number;
  /** volumeFraction / relativeDiffusivity; null when the phase does not percolate. */
  tortuosityFactor: number | null;
  /** 1 / relativeDiffusivity (the formation factor when the phase is the pore space); null when not percolating. */
  formationFactor: number | null;
  /** Voxels of the phase / all voxels. */
  volumeFraction: number;
  /** Voxels connected to both faces (the unknowns) / all voxels. */
  connectedFraction: number;
  /** Conjugate-gradient iterations (0 when not percolating). */
  iterations: number;
  /** Final true relative residual. */
  residual: number;
  converged: boolean;
  /** Wall time of this axis. */
  seconds: number;
}

export interface TortuosityResult {
  phase: number;
  volumeFraction: number;
  x?: TortuosityAxis;
  y?: TortuosityAxis;
  z?: TortuosityAxis;
}

export interface PermeabilityOptions extends TransportProgressOptions {
  /** The pore phase (a phase index of the volume, 0..255). */
  phase: number;
  /** Voxel size in metres: one number (cubic voxels) or [z, y, x] (must be equal: the lattice is cubic). */
  spacing?: number | readonly [number, number, number] | readonly number[];
  /** Open fluid layers added before and after the sample along the axis: 0 (plain periodic) or 2..64 (default 3). */
  reservoirLayers?: number;
  /** Side faces: no-slip walls (default) or periodic. */
  sides?: 'wall' | 'periodic';
  /** Estimated relative error of k at which to stop (default 1e-4; in (0, 0.1]). */
  tolerance?: number;
  /** Step cap (default 200000); `converged: false` when reached. */
  maxSteps?: number;
  /** Relaxation time of the symmetric moments, tau+ in (0.5, 10) (default 0.6, the fastest to converge in our
   *  tests; k does not depend on it). */
  tau?: number;
}

export interface PermeabilityAxis {
  axis: Axis;
  /** Whether the pore phase connects the two faces (through face or edge neighbours). */
  percolates: boolean;
  /** k in voxel^2 (0 when not percolating). */
  permeability: number;
  /** k in m^2 when `spacing` is given, else null. */
  permeabilityM2: number | null;
  /** k in millidarcy when `spacing` is given, else null. */
  permeabilityMilliDarcy: number | null;
  /** Pore voxels / all voxels. */
  porosity: number;
  /** Lattice Boltzmann steps. */
  steps: number;
  converged: boolean;
  /** Last relative change of k between two checks (100 steps apart). */
  change: number;
  seconds: number;
}

export interface PermeabilityResult {
  phase: number;
  porosity: number;
  /** Voxel size in metres, or null. */
  spacing: number | null;
  x?: PermeabilityAxis;
  y?: PermeabilityAxis;
  z?: PermeabilityAxis;
}

// ---- validation ------------------------------------------------------------------------------------------------

function checkVolume(volume: TransportVolume, what: string): [number, number, number] {
  if (volume === null || typeof volume !== 'object') throw new InvalidArgumentError(`${what}: volume must be an object`);
  const { shape, data } = volume;
  if (!Array.isArray(shape) || shape.length !== 3) {
    throw new InvalidArgumentError(`${what}: volume.shape must be [z, y, x], got ${JSON.stringify(shape)}`);
  }
  for (const n of shape) {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      throw new InvalidArgumentError(`${what}: volume.shape must hold non-negative integers, got ${JSON.stringify(shape)}`);
    }
  }
  if (!(data instanceof Uint8Array)) throw new InvalidArgumentError(`${what}: volume.data must be a Uint8Array of phase indices`);
  const count = shape[0] * shape[1] * shape[2];
  if (count === 0) throw new InvalidArgumentError(`${what}: the volume is empty (shape [${shape.join(', ')}])`);
  if (data.length !== count) {
    throw new InvalidArgumentError(
      `${what}: volume.data has ${data.length} elements but shape [${shape.join(', ')}] needs ${count}`,
    );
  }
  return [shape[0], shape[1], shape[2]];
}

function checkPhase(phase: unknown, what: string): number {
  if (typeof phase !== 'number' || !Number.isInteger(phase) || phase < 0 || phase > 255) {
    throw new InvalidArgumentError(`${what}: phase must be an integer phase index in 0..255, got ${String(phase)}`);
  }
  return phase;
}

function checkAxes(axes: unknown, what: string): Axis[] {
  if (axes === undefined) return [...AXES];
  if (!Array.isArray(axes) || axes.length === 0) throw new InvalidArgumentError(`${what}: axes must be a non-empty array of 'x' | 'y' | 'z'`);
  const seen = new Set<Axis>();
  for (const a of axes) {
    if (a !== 'x' && a !== 'y' && a !== 'z') throw new InvalidArgumentError(`${what}: unknown axis ${JSON.stringify(a)}`);
    if (seen.has(a)) throw new InvalidArgumentError(`${what}: axis '${a}' given twice`);
    seen.add(a);
  }
  return axes as Axis[];
}

function checkNumber(v: unknown, name: string, what: string, lo: number, hi: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
    throw new InvalidArgumentError(`${what}: ${name} must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${String(v)}`);
  }
  return v;
}

function checkTolerance(v: unknown, fallback: number, what: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0) || v > 0.1) {
    throw new InvalidArgumentError(`${what}: tolerance must be a number in (0, 0.1], got ${String(v)}`);
  }
  return v;
}

function checkProgress(o: TransportProgressOptions, what: string): number {
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new InvalidArgumentError(`${what}: signal must be an AbortSignal`);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw new InvalidArgumentError(`${what}: onProgress must be a function`);
  return o.progressIntervalMs === undefined ? 100 : checkNumber(o.progressIntervalMs, 'progressIntervalMs', what, 1, 60000);
}

/** One spacing in metres (or null); NaN, non-positive or unequal values are refused. */
function checkSpacing(spacing: unknown, what: string): number | null {
  if (spacing === undefined) return null;
  const values = typeof spacing === 'number' ? [spacing] : Array.isArray(spacing) && spacing.length === 3 ? spacing : null;
  if (!values) throw new InvalidArgumentError(`${what}: spacing must be a number or [z, y, x] in metres`);
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) {
      throw new InvalidArgumentError(`${what}: spacing must be positive and finite, got ${JSON.stringify(spacing)}`);
    }
  }
  const s = values[0] as number;
  for (const v of values) {
    if (Math.abs((v as number) - s) > 1e-6 * s) {
      throw new InvalidArgumentError(`${what}: the lattice Boltzmann solver needs cubic voxels, got spacing ${JSON.stringify(spacing)}`);
    }
  }
  return s;
}

// ---- running ---------------------------------------------------------------------------------------------------

/** Runs the native solves of several axes in turn with one control block (control.ts). */
function runAxes<T>(
  o: TransportProgressOptions,
  interval: number,
  axes: readonly Axis[],
  what: string,
  solve: (axis: Axis, control: Int32Array) => Promise<T>,
): Promise<T[]> {
  return runControlled(o, what, axes.length, interval, (i, control) => solve(axes[i], control));
}

function finite(v: number): number {
  return Number.isFinite(v) ? v : 0;
}

function tortuosityAxis(axis: Axis, raw: RawTortuosity, total: number, seconds: number): TortuosityAxis {
  const volumeFraction = raw.phaseVoxels / total;
  const d = raw.percolates ? finite(raw.relativeDiffusivity) : 0;
  const ok = raw.percolates && d > 0;
  return {
    axis,
    percolates: ok,
    relativeDiffusivity: ok ? d : 0,
    tortuosityFactor: ok ? volumeFraction / d : null,
    formationFactor: ok ? 1 / d : null,
    volumeFraction,
    connectedFraction: raw.connectedVoxels / total,
    iterations: raw.iterations,
    residual: finite(raw.residual),
    converged: raw.converged,
    seconds,
  };
}

/**
 * Steady-state diffusion through `phase` along each axis (TauFactor convention; see the module comment).
 * Throws InvalidArgumentError for bad input and for a phase that does not occur in the volume, AbortError when
 * `signal` fires, BackendUnavailableError without the native addon.
 */
export async function tortuosity(volume: TransportVolume, options: TortuosityOptions): Promise<TortuosityResult> {
  const what = 'tortuosity';
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`${what}: options with a phase are required`);
  const shape = checkVolume(volume, what);
  const phase = checkPhase(options.phase, what);
  const axes = checkAxes(options.axes, what);
  const tolerance = checkTolerance(options.tolerance, 1e-6, what);
  const maxIterations = options.maxIterations === undefined ? 0 : checkNumber(options.maxIterations, 'maxIterations', what, 1, 1e9, true);
  const guess = options.initialGuess ?? 'zero';
  if (guess !== 'zero' && guess !== 'linear') throw new InvalidArgumentError(`${what}: initialGuess must be 'zero' or 'linear'`);
  const pre = options.preconditioner ?? 'multigrid';
  if (pre !== 'multigrid' && pre !== 'jacobi') throw new InvalidArgumentError(`${what}: preconditioner must be 'multigrid' or 'jacobi'`);
  const interval = checkProgress(options, what);
  const b: NativeTransportBinding = await loadTransportBinding();
  const total = shape[0] * shape[1] * shape[2];
  const results = await runAxes(options, interval, axes, what, async (axis, control) => {
    const t0 = performance.now();
    const raw = await b.tortuosity(
      volume.data,
      shape,
      phase,
      { axis: ARRAY_AXIS[axis], tolerance, maxIterations, initialGuess: guess === 'linear' ? 1 : 0, preconditioner: pre === 'jacobi' ? 0 : 1 },
      control,
    );
    if (raw.phaseVoxels === 0) throw new InvalidArgumentError(`${what}: phase ${phase} does not occur in the volume`);
    return tortuosityAxis(axis, raw, total, (performance.now() - t0) / 1000);
  });
  const out: TortuosityResult = { phase, volumeFraction: results[0]!.volumeFraction };
  for (const r of results) out[r.axis] = r;
  return out;
}

function permeabilityAxis(axis: Axis, raw: RawPermeability, spacing: number | null, seconds: number): PermeabilityAxis {
  const k = raw.percolates ? Math.max(0, finite(raw.permeability)) : 0;
  const m2 = spacing === null ? null : k * spacing * spacing;
  return {
    axis,
    percolates: raw.percolates,
    permeability: k,
    permeabilityM2: m2,
    permeabilityMilliDarcy: m2 === null ? null : m2 / MILLIDARCY_M2,
    porosity: raw.porosity,
    steps: raw.steps,
    converged: raw.converged,
    change: finite(raw.change),
    seconds,
  };
}

/**
 * Permeability of `phase` (the pore space) along each axis by lattice Boltzmann (see the module comment).
 * Throws InvalidArgumentError for bad input (including NaN or unequal spacing) and for a phase that does not occur,
 * AbortError when `signal` fires, BackendUnavailableError without the native addon.
 */
export async function permeability(volume: TransportVolume, options: PermeabilityOptions): Promise<PermeabilityResult> {
  const what = 'permeability';
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`${what}: options with a phase are required`);
  const shape = checkVolume(volume, what);
  const phase = checkPhase(options.phase, what);
  const axes = checkAxes(options.axes, what);
  const spacing = checkSpacing(options.spacing, what);
  const tolerance = checkTolerance(options.tolerance, 1e-4, what);
  const reservoirLayers = options.reservoirLayers === undefined ? 3 : checkNumber(options.reservoirLayers, 'reservoirLayers', what, 0, 64, true);
  if (reservoirLayers === 1) throw new InvalidArgumentError(`${what}: reservoirLayers must be 0 or 2..64 (the face pressure is extrapolated from two planes)`);
  const sides = options.sides ?? 'wall';
  if (sides !== 'wall' && sides !== 'periodic') throw new InvalidArgumentError(`${what}: sides must be 'wall' or 'periodic'`);
  const maxSteps = options.maxSteps === undefined ? 0 : checkNumber(options.maxSteps, 'maxSteps', what, 1, 1e9, true);
  const tau = options.tau === undefined ? 0.6 : checkNumber(options.tau, 'tau', what, 0.5 + 1e-6, 10);
  const interval = checkProgress(options, what);
  const b = await loadTransportBinding();
  const results = await runAxes(options, interval, axes, what, async (axis, control) => {
    const t0 = performance.now();
    const raw = await b.permeability(
      volume.data,
      shape,
      phase,
      { axis: ARRAY_AXIS[axis], reservoirLayers, periodicSides: sides === 'periodic' ? 1 : 0, tolerance, maxSteps, checkEvery: 100, tau },
      control,
    );
    if (raw.porosity === 0) throw new InvalidArgumentError(`${what}: phase ${phase} does not occur in the volume`);
    return permeabilityAxis(axis, raw, spacing, (performance.now() - t0) / 1000);
  });
  const out: PermeabilityResult = { phase, porosity: results[0]!.porosity, spacing };
  for (const r of results) out[r.axis] = r;
  return out;
}
