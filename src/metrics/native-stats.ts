/**
 * Microstructure statistics of a segmented volume, computed natively (native/metrics) off the event loop.
 *
 * Input: a label volume `{ shape: [z, y, x], data: Uint8Array }` (x fastest; a 2D image has z = 1), e.g. a Volume
 * from `readVolume`. Everything is non-periodic and in voxel units (lengths in voxels, areas in voxel faces,
 * densities per voxel); physical units are applied by the report layer. Axes: x = last array axis (column),
 * y = rows, z = pages. An axis of extent 1 (z of a 2D image) reports `null`.
 *
 * Conventions (see each field):
 * - two-point S2(r): mean over all pairs (i, i + r e) inside the volume of [both in the phase], exact counts,
 *   r = 0..min(floor(n / 2), maxLag); S2(0) = volume fraction exactly. The radial S2 bins displacements by
 *   round(|d|) (bin r = [r - 0.5, r + 0.5)) and divides pair counts by pairs inside the volume (zero-padded FFT,
 *   counts rounded to exact integers).
 * - chords: runs of the phase along lines; runs touching either face normal to the axis are excluded (their
 *   length is cut by the volume), as PoreSpy does; their number is reported. Lineal path L(r) counts every
 *   segment of r + 1 voxels inside the volume (L(0) = volume fraction).
 * - surface: `faceCount` = voxel faces between the phase and other labels / voxels; `marchingCubes` = area of the
 *   binary marching-cubes surface at level 0.5 (open at the volume's faces) / voxels. On binary data that mesh
 *   overestimates a smooth surface by ~9 % (staircase facets; a sphere of radius 20 reads +9.3 %), so
 *   `marchingCubesCorrected` divides it by the mean overestimate for planes of uniformly random orientation
 *   (1.08799 in 3D, 1.05479 for marching-squares perimeters in 2D): unbiased for isotropic surfaces, the sphere
 *   then reads within 0.5 %. 2D images: the same fields are perimeters per pixel.
 * - connectivity: 6-connected components (4 in 2D); percolation along an axis = one component touches both faces
 *   normal to it; Euler characteristic with 26-connectivity for the phase, 6 for the rest (2D: 8 / 4), the outside
 *   of the volume counting as "rest".
 * - pore size (local thickness): exact Euclidean distance transform d2 to the nearest voxel of another label
 *   (the volume's faces are not walls); a voxel's thickness is the diameter 2 sqrt(d2(c)) - 1 of the largest ball
 *   {p : |p - c|^2 < d2(c)} containing it (exact, balls painted from the distance ridge); a slab t voxels thick
 *   reads t (odd t) or t - 1 (even t). Histogram bins of 1 voxel (index = rounded diameter), voxel-weighted mean.
 * - anisotropy: mean intercept length from the marching-cubes surface: along direction w the intercept density is
 *   sum(area |w . n|) / volume (what infinitely many test lines would count), MIL = 1 / density, sampled on
 *   `directions` directions evenly spread on the half sphere (half circle in 2D), the MIL ellipsoid
 *   1 / MIL^2 = w^T M w fitted by least squares and eigen-decomposed (Jacobi). degree (DA) = 1 - MIL_min / MIL_max.
 *   Correlation length per axis: the lag where (S2 - phi^2) / (phi - phi^2) first drops below 1/e, linearly
 *   interpolated. isotropic = DA < 0.1 and (largest / smallest correlation length) < 1.25.
 */
import { InvalidArgumentError, fromBackendError } from '../core/errors.js';
import {
  loadMetricsBinding,
  NativeMetric,
  type NativeMetricsBinding,
  type RawAxisRuns,
  type RawPhaseStats,
  type StatsConstants,
} from './native-metrics-binding.js';
import { runControlled } from './control.js';

/** A segmented volume: phase indices, shape [z, y, x]. `Volume` from the IO module fits. */
export interface LabelVolume {
  shape: [number, number, number];
  data: Uint8Array;
}

/** The statistics `phaseStatistics` can compute (all by default). */
export type StatisticName =
  | 'twoPoint'
  | 'radialTwoPoint'
  | 'linealPath'
  | 'chordLength'
  | 'surfaceArea'
  | 'connectivity'
  | 'poreSize'
  | 'anisotropy';

export const STATISTIC_NAMES: readonly StatisticName[] = [
  'twoPoint',
  'radialTwoPoint',
  'linealPath',
  'chordLength',
  'surfaceArea',
  'connectivity',
  'poreSize',
  'anisotropy',
];

export interface ProgressOptions {
  /** Stops the native work; the promise rejects with AbortError. */
  signal?: AbortSignal;
  /** Called with a fraction in [0, 1] while the work runs (about every 100 ms) and with 1 at the end. */
  onProgress?: (fraction: number) => void;
}

export interface PhaseStatisticsOptions extends ProgressOptions {
  /** Which statistics to compute (default: all). The volume fraction is always there. */
  statistics?: readonly StatisticName[];
  /** Largest S2 / lineal-path lag; per axis min(floor(n / 2), maxLag). Default 100. */
  maxLag?: number;
  /** Largest radial S2 bin. Default floor(min extent / 2) over the axes longer than 1. */
  radialMaxLag?: number;
  /** MIL test directions (>= 64 in 3D, >= 36 in 2D). Default 256 in 3D, 180 in 2D. */
  directions?: number;
}

/** One value per axis; `null` for an axis of extent 1 (z of a 2D image). */
export interface AxisValues<T> {
  x: T | null;
  y: T | null;
  z: T | null;
}

export interface ChordLengthDistribution {
  /** counts[l] = number of chords l voxels long (counts[0] = 0); ends at the longest chord. */
  counts: number[];
  /** Number of chords (runs not touching the faces normal to the axis). */
  total: number;
  /** Number-weighted mean chord length in voxels; null without chords. */
  mean: number | null;
  /** Runs left out because they touch a face normal to the axis. */
  excludedBoundaryRuns: number;
}

export interface SurfaceAreaStats {
  /** Voxel faces between the phase and other labels, per voxel of the volume (2D: pixel edges per pixel). */
  faceCount: number;
  /** Binary marching-cubes area (2D: marching-squares length) at level 0.5, open at the faces, per voxel. */
  marchingCubes: number;
  /** marchingCubes / meshBias: the isotropic-surface estimate (sphere within 2 %). */
  marchingCubesCorrected: number;
  /** The divisor used (1.08799 in 3D, 1.05479 in 2D). */
  meshBias: number;
  /** Absolute numbers: voxel faces, and mesh area in voxel-face units. */
  faces: number;
  meshArea: number;
}

export interface ConnectivityStats {
  /** 6-connected (2D: 4-connected) components. */
  components: number;
  /** Voxels of the largest component / voxels of the phase. */
  largestComponentFraction: number;
  /** A component touches both faces normal to the axis. */
  percolates: AxisValues<boolean>;
  /** 26-connectivity for the phase, 6 for the rest (2D: 8 / 4). */
  eulerCharacteristic: number;
}

export interface PoreSizeDistribution {
  method: 'local-thickness';
  /** counts[k] = voxels whose local thickness (diameter) rounds to k voxels. */
  counts: number[];
  /** Voxel-weighted mean local thickness (diameter, voxels). */
  mean: number;
  /** Largest local thickness (diameter, voxels). */
  max: number;
}

export interface Direction {
  x: number;
  y: number;
  z: number;
}

export interface AnisotropyStats {
  /** DA = 1 - MIL_min / MIL_max; null when the phase has no surface. */
  degree: number | null;
  /** MIL (voxels) along the principal directions, longest first (3 in 3D, 2 in 2D); null = unbounded. */
  milLengths: (number | null)[];
  /** Unit principal directions matching milLengths (largest component positive). */
  principalDirections: Direction[];
  /** Test directions used. */
  directions: number;
  /** S2 correlation length (voxels) per axis; null when undefined (no decay within maxLag, or phi = 1). */
  correlationLength: AxisValues<number>;
  /** DA < maxDegree and max/min correlation length < maxCorrelationRatio; null when either is undefined. */
  isotropic: boolean | null;
  criterion: { maxDegree: number; maxCorrelationRatio: number };
}

export interface PhaseStatistics {
  phase: number;
  /** 2 for shape [1, y, x], else 3. */
  dimensions: 2 | 3;
  shape: [number, number, number];
  voxels: number;
  phaseVoxels: number;
  volumeFraction: number;
  /** S2 per axis, index = lag in voxels. */
  twoPointCorrelation?: AxisValues<number[]>;
  /** Radially averaged S2, index = distance bin in voxels; pairs = number of voxel pairs in each bin. */
  radialTwoPointCorrelation?: { values: number[]; pairs: number[] };
  /** L(r) per axis, index = lag r (segments of r + 1 voxels). */
  linealPath?: AxisValues<number[]>;
  chordLength?: AxisValues<ChordLengthDistribution>;
  surfaceArea?: SurfaceAreaStats;
  connectivity?: ConnectivityStats;
  /** null when the phase fills the volume (no wall to measure from). */
  poreSizeDistribution?: PoreSizeDistribution | null;
  anisotropy?: AnisotropyStats;
}

export interface CompareOptions extends ProgressOptions {
  /** Number of phases P for scaling labels to label / (P - 1). Default: largest label in either volume + 1. */
  phases?: number;
}

export interface VolumeSimilarity {
  /** SSIM, Gaussian window sigma 1.5 (11 taps), as skimage structural_similarity(gaussian_weights=True). */
  ssim: number;
  /** SSIM with a 7^3 (2D: 7^2) uniform window and sample covariance, skimage's default. */
  ssimUniform: number;
  /** Mean squared error of the scaled labels. */
  mse: number;
  /** 10 log10(1 / mse) in dB (data range 1); null when the volumes are identical (mse = 0, PSNR = +Infinity). */
  psnr: number | null;
  /** P used for scaling. */
  phases: number;
}

// ---- validation -------------------------------------------------------------------------------------------------

function isPositiveInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
}

/** Checks a label volume; returns its shape. */
export function checkLabelVolume(vol: unknown, what = 'volume'): [number, number, number] {
  if (vol === null || typeof vol !== 'object') throw new InvalidArgumentError(`${what} must be an object`);
  const { shape, data } = vol as Partial<LabelVolume>;
  if (!Array.isArray(shape) || shape.length !== 3) {
    throw new InvalidArgumentError(`${what}.shape must be [z, y, x], got ${JSON.stringify(shape)}`);
  }
  if (!(data instanceof Uint8Array)) {
    throw new InvalidArgumentError(`${what}.data must be a Uint8Array of phase labels`);
  }
  if (data.length === 0 || shape.some((n) => n === 0)) throw new InvalidArgumentError(`${what} is empty`);
  if (!shape.every(isPositiveInt)) {
    throw new InvalidArgumentError(`${what}.shape must hold 3 positive integers, got ${JSON.stringify(shape)}`);
  }
  const count = shape[0] * shape[1] * shape[2];
  if (data.length !== count) {
    throw new InvalidArgumentError(`${what}.data has ${data.length} elements but shape [${shape.join(', ')}] needs ${count}`);
  }
  return [shape[0], shape[1], shape[2]];
}

function checkProgress(o: ProgressOptions): void {
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw new InvalidArgumentError('signal must be an AbortSignal');
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') {
    throw new InvalidArgumentError('onProgress must be a function');
  }
}

function checkPhase(phase: unknown): number {
  if (typeof phase !== 'number' || !Number.isInteger(phase) || phase < 0 || phase > 255) {
    throw new InvalidArgumentError(`phase must be an integer label in 0..255, got ${String(phase)}`);
  }
  return phase;
}

function optionalInt(v: unknown, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got ${String(v)}`);
  }
  return v;
}

// ---- native calls with progress and cancel ------------------------------------------------------------------

async function binding(): Promise<NativeMetricsBinding> {
  return loadMetricsBinding();
}

/** Runs one native call with the control block wired to `signal` and `onProgress` (control.ts). */
async function withControl<T>(o: ProgressOptions, what: string, run: (control: Int32Array) => Promise<T>): Promise<T> {
  return (await runControlled(o, what, 1, 100, (_, control) => run(control)))[0];
}

/** Voxel count of every label value 0..255. */
export async function labelCounts(volume: LabelVolume): Promise<number[]> {
  const shape = checkLabelVolume(volume);
  const b = await binding();
  try {
    return Array.from(await b.labelCounts(volume.data, shape));
  } catch (err) {
    throw fromBackendError(err, 'labelCounts');
  }
}

/** The fixed numbers the statistics use (mesh bias factors, isotropy thresholds). */
export async function statisticsConstants(): Promise<StatsConstants> {
  return (await binding()).statsConstants();
}

// ---- phase statistics ----------------------------------------------------------------------------------------------

const BIT: Record<StatisticName, number> = {
  twoPoint: NativeMetric.twoPoint,
  radialTwoPoint: NativeMetric.radial,
  linealPath: NativeMetric.linealChord,
  chordLength: NativeMetric.linealChord,
  surfaceArea: NativeMetric.surface,
  connectivity: NativeMetric.connectivity,
  poreSize: NativeMetric.thickness,
  anisotropy: NativeMetric.anisotropy,
};

/**
 * Statistics of phase `phase` of a label volume (see the module comment for every convention).
 * Throws InvalidArgumentError for a malformed or empty volume, a bad option, or a phase absent from the volume;
 * AbortError when `signal` fires; BackendUnavailableError without the native addon.
 */
export async function phaseStatistics(
  volume: LabelVolume,
  phase: number,
  options: PhaseStatisticsOptions = {},
): Promise<PhaseStatistics> {
  const shape = checkLabelVolume(volume);
  checkPhase(phase);
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
  checkProgress(options);
  const wanted: readonly StatisticName[] = options.statistics ?? STATISTIC_NAMES;
  if (!Array.isArray(wanted as unknown)) throw new InvalidArgumentError('statistics must be an array of names');
  let metrics = 0;
  for (const name of wanted) {
    if (!(STATISTIC_NAMES as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(`unknown statistic '${String(name)}' (known: ${STATISTIC_NAMES.join(', ')})`);
    }
    metrics |= BIT[name];
  }
  const maxLag = optionalInt(options.maxLag, 'maxLag', 0) ?? 100;
  const radialMaxLag = optionalInt(options.radialMaxLag, 'radialMaxLag', 0) ?? -1;
  const is2d = shape[0] === 1;
  const directions = optionalInt(options.directions, 'directions', is2d ? 36 : 64) ?? (is2d ? 180 : 256);

  const b = await binding();
  const counts = await b.labelCounts(volume.data, shape).catch((err) => {
    throw fromBackendError(err, 'phaseStatistics');
  });
  if (counts[phase] === 0) {
    const present = [...counts.keys()].filter((k) => counts[k] > 0);
    throw new InvalidArgumentError(`phase ${phase} is not present in the volume (labels present: ${present.join(', ')})`);
  }
  const raw = await withControl(options, 'phaseStatistics', (control) =>
    b.phaseStatistics(volume.data, shape, phase, { metrics, maxLag: [maxLag, maxLag, maxLag], radialMaxLag, directions }, control),
  );
  return shapeResult(raw, new Set(wanted), shape, phase, b.statsConstants());
}

const AXES = ['x', 'y', 'z'] as const;

function perAxis<T>(shape: [number, number, number], f: (axis: 0 | 1 | 2) => T | null): AxisValues<T> {
  const extent = [shape[2], shape[1], shape[0]];
  const out = { x: null, y: null, z: null } as AxisValues<T>;
  for (const a of [0, 1, 2] as const) out[AXES[a]] = extent[a] > 1 ? f(a) : null;
  return out;
}

function chordDistribution(r: RawAxisRuns): ChordLengthDistribution {
  return {
    counts: Array.from(r.chords),
    total: r.chordCount,
    mean: r.chordCount > 0 ? r.meanChord : null,
    excludedBoundaryRuns: r.boundaryRuns,
  };
}

function shapeResult(
  raw: RawPhaseStats,
  wanted: Set<StatisticName>,
  shape: [number, number, number],
  phase: number,
  k: StatsConstants,
): PhaseStatistics {
  const voxels = shape[0] * shape[1] * shape[2];
  const dims = shape[0] === 1 ? 2 : 3;
  const out: PhaseStatistics = {
    phase,
    dimensions: dims,
    shape: [...shape],
    voxels,
    phaseVoxels: raw.phaseVoxels,
    volumeFraction: raw.volumeFraction,
  };
  if (wanted.has('twoPoint') && raw.twoPoint) {
    const s2 = raw.twoPoint;
    out.twoPointCorrelation = perAxis(shape, (a) => Array.from(s2[a]));
  }
  if (wanted.has('radialTwoPoint') && raw.radial) {
    out.radialTwoPointCorrelation = { values: Array.from(raw.radial.values), pairs: Array.from(raw.radial.pairs) };
  }
  if (raw.runs) {
    const runs = raw.runs;
    if (wanted.has('linealPath')) out.linealPath = perAxis(shape, (a) => Array.from(runs[a].lineal));
    if (wanted.has('chordLength')) out.chordLength = perAxis(shape, (a) => chordDistribution(runs[a]));
  }
  if (wanted.has('surfaceArea') && raw.surface) {
    const s = raw.surface;
    out.surfaceArea = {
      faceCount: s.faces / voxels,
      marchingCubes: s.mesh / voxels,
      marchingCubesCorrected: s.meshCorrected / voxels,
      meshBias: dims === 3 ? k.meshBias3d : k.meshBias2d,
      faces: s.faces,
      meshArea: s.mesh,
    };
  }
  if (wanted.has('connectivity') && raw.connectivity) {
    const c = raw.connectivity;
    out.connectivity = {
      components: c.components,
      largestComponentFraction: raw.phaseVoxels > 0 ? c.largest / raw.phaseVoxels : 0,
      percolates: perAxis(shape, (a) => c.percolates[a]),
      eulerCharacteristic: c.euler,
    };
  }
  if (wanted.has('poreSize') && raw.thickness) {
    const t = raw.thickness;
    out.poreSizeDistribution = t.defined
      ? { method: 'local-thickness', counts: Array.from(t.counts), mean: t.mean, max: t.max }
      : null;
  }
  if (wanted.has('anisotropy') && raw.anisotropy) {
    const a = raw.anisotropy;
    const n = dims === 2 ? 2 : 3;
    const lengths = a.correlationLength;
    out.anisotropy = {
      degree: a.defined ? a.degree : null,
      milLengths: a.defined ? a.mil.slice(0, n).map((v) => (v > 0 ? v : null)) : [],
      principalDirections: a.defined ? a.axes.slice(0, n).map(([x, y, z]) => ({ x, y, z })) : [],
      directions: a.directions,
      correlationLength: perAxis<number>(shape, (ax) => (lengths[ax] > 0 ? lengths[ax] : null)),
      isotropic: a.isotropic < 0 ? null : a.isotropic === 1,
      criterion: { maxDegree: k.isotropicDA, maxCorrelationRatio: k.isotropicRatio },
    };
  }
  return out;
}

// ---- comparison ------------------------------------------------------------------------------------------------------

/**
 * SSIM (Gaussian and 7^3 uniform windows) and PSNR between two label volumes of the same shape, labels scaled to
 * label / (phases - 1), data range 1. Every extent (z too, unless both are 2D images) must be at least 11 voxels.
 */
export async function compareVolumes(
  a: LabelVolume,
  b: LabelVolume,
  options: CompareOptions = {},
): Promise<VolumeSimilarity> {
  const sa = checkLabelVolume(a, 'volume');
  const sb = checkLabelVolume(b, 'reference');
  if (sa[0] !== sb[0] || sa[1] !== sb[1] || sa[2] !== sb[2]) {
    throw new InvalidArgumentError(`volume shape [${sa.join(', ')}] differs from reference shape [${sb.join(', ')}]`);
  }
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
  checkProgress(options);
  if (sa[1] < 11 || sa[2] < 11 || (sa[0] !== 1 && sa[0] < 11)) {
    throw new InvalidArgumentError(`SSIM needs every extent (z too, unless z = 1) >= 11, got [${sa.join(', ')}]`);
  }
  const nb = await binding();
  let phases = optionalInt(options.phases, 'phases', 1);
  let maxLabel = 0;
  for (const v of [a, b]) {
    const counts = await nb.labelCounts(v.data, sa).catch((err) => {
      throw fromBackendError(err, 'compareVolumes');
    });
    for (let k = 255; k > maxLabel; --k) if (counts[k] > 0) maxLabel = k;
  }
  if (phases === undefined) phases = Math.max(2, maxLabel + 1);
  else if (phases > 256 || maxLabel >= phases) {
    throw new InvalidArgumentError(`phases = ${phases} but the volumes hold label ${maxLabel}`);
  }
  const raw = await withControl(options, 'compareVolumes', (control) =>
    nb.compareVolumes(a.data, b.data, sa, phases, control),
  );
  return {
    ssim: raw.ssimGaussian,
    ssimUniform: raw.ssimUniform,
    mse: raw.mse,
    psnr: raw.mse > 0 ? 10 * Math.log10(1 / raw.mse) : null,
    phases,
  };
}
