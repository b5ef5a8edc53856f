/**
 * Checks and normalises what `evaluate` is given, before any native work: the volumes (2D images and volumes one
 * voxel thick become 2D views), the spacing, the metric names and the phases.
 */
import { AbortError, InvalidArgumentError } from '../core/errors.js';
import { checkLabelVolume, type AxisValues, type Direction, type LabelVolume } from '../metrics/native-stats.js';
import {
  DEFAULT_METRICS,
  METRICS_2D,
  METRIC_ALIASES,
  METRIC_NAMES,
  type EvaluateVolume,
  type MetricName,
} from './types.js';

type AxisName = 'x' | 'y' | 'z';

/** A volume ready for the native calls, and how its axes map back to the caller's. */
export interface PreparedVolume {
  /** The caller's shape [z, y, x]. */
  shape: [number, number, number];
  /** What the native code sees: the same data, 2D input as [1, rows, columns]. */
  view: LabelVolume;
  dimensions: 2 | 3;
  plane: 'xy' | 'xz' | 'yz' | null;
  /** For 2D views: which caller axis the view's x and y are. Identity in 3D. */
  axisMap: { x: AxisName; y: AxisName; z: AxisName };
  labels: readonly number[] | undefined;
  fileSpacing: number[] | null;
}

/**
 * A [1, y, x] image is 2D as it is. A volume one voxel thick along x or y is the image in the plane of its other
 * two axes; its data is already laid out as that image ([z, y, 1] = [1, z, y], [z, 1, x] = [1, z, x]), so the
 * view shares the data and the results are mapped back to the caller's axis names (the flat axis reads null).
 * Fewer than two axes longer than one voxel (a line, a single voxel) is refused.
 */
export function prepareVolume(volume: EvaluateVolume, what: 'volume' | 'reference'): PreparedVolume {
  const shape = checkLabelVolume(volume, what);
  const [nz, ny, nx] = shape;
  const flat = shape.filter((n) => n === 1).length;
  if (flat >= 2) {
    throw new InvalidArgumentError(
      `${what} of shape [${shape.join(', ')}] has fewer than two axes longer than one voxel: evaluate needs a 2D image or a 3D volume`,
    );
  }
  const labels = checkLabels(volume.labels, what);
  const fileSpacing = Array.isArray(volume.spacing) ? [...volume.spacing] : null;
  const base = { shape, labels, fileSpacing };
  if (nz === 1) {
    return { ...base, view: { shape, data: volume.data }, dimensions: 2, plane: 'xy', axisMap: { x: 'x', y: 'y', z: 'z' } };
  }
  if (nx === 1) {
    return { ...base, view: { shape: [1, nz, ny], data: volume.data }, dimensions: 2, plane: 'yz', axisMap: { x: 'y', y: 'z', z: 'x' } };
  }
  if (ny === 1) {
    return { ...base, view: { shape: [1, nz, nx], data: volume.data }, dimensions: 2, plane: 'xz', axisMap: { x: 'x', y: 'z', z: 'y' } };
  }
  return { ...base, view: { shape, data: volume.data }, dimensions: 3, plane: null, axisMap: { x: 'x', y: 'y', z: 'z' } };
}

function checkLabels(labels: unknown, what: string): readonly number[] | undefined {
  if (labels === undefined) return undefined;
  if (!Array.isArray(labels) || !labels.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new InvalidArgumentError(`${what}.labels must be an array of finite numbers (the file value of each phase)`);
  }
  return labels;
}

/** Per-axis values of the view, under the caller's axis names. */
export function toCallerAxes<T>(v: AxisValues<T>, p: PreparedVolume): AxisValues<T> {
  if (p.dimensions === 3) return v;
  const out: AxisValues<T> = { x: null, y: null, z: null };
  out[p.axisMap.x] = v.x;
  out[p.axisMap.y] = v.y;
  return out;
}

export function directionToCallerAxes(d: Direction, p: PreparedVolume): Direction {
  if (p.dimensions === 3) return d;
  const out: Direction = { x: 0, y: 0, z: 0 };
  out[p.axisMap.x] = d.x;
  out[p.axisMap.y] = d.y;
  return out;
}

/**
 * The spacing option as one voxel size in metres (or null). NaN, Infinity, zero, negative and non-cubic values
 * (over the axes the input uses) are refused.
 */
export function checkSpacing(spacing: unknown, p: PreparedVolume): number | null {
  if (spacing === undefined || spacing === null) return null;
  let values: number[];
  if (typeof spacing === 'number') values = [spacing, spacing, spacing];
  else if (Array.isArray(spacing) && spacing.length === 3) values = spacing as number[];
  else throw new InvalidArgumentError(`spacing must be a number or [z, y, x] in metres, got ${JSON.stringify(spacing)}`);
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) {
      throw new InvalidArgumentError(`spacing must be positive and finite (metres), got ${String(spacing)}`);
    }
  }
  const byAxis: Record<AxisName, number> = { z: values[0]!, y: values[1]!, x: values[2]! };
  const used: AxisName[] = p.dimensions === 3 ? ['x', 'y', 'z'] : [p.axisMap.x, p.axisMap.y];
  const s = byAxis[used[0]!];
  for (const a of used) {
    if (Math.abs(byAxis[a] - s) > 1e-6 * s) {
      throw new InvalidArgumentError(`evaluate needs cubic voxels (equal spacing along ${used.join(', ')}), got ${JSON.stringify(spacing)}`);
    }
  }
  return s;
}

/**
 * Metric names to the set to compute. 'default' and 'all' expand; aliases are accepted; volumeFraction is always
 * in. A metric that a 2D input cannot give (see METRICS_2D) is refused when named explicitly.
 */
export function resolveMetrics(metrics: unknown, dimensions: 2 | 3): MetricName[] {
  const defaults = dimensions === 3 ? DEFAULT_METRICS : METRICS_2D;
  if (metrics === undefined) return [...defaults];
  let names: unknown[];
  if (typeof metrics === 'string') names = metrics.split(',');
  else if (Array.isArray(metrics)) names = metrics;
  else throw new InvalidArgumentError('metrics must be an array of metric names');
  const chosen = new Set<MetricName>(['volumeFraction']);
  for (const raw of names) {
    if (typeof raw !== 'string') throw new InvalidArgumentError(`metric names must be strings, got ${String(raw)}`);
    const name = raw.trim();
    if (name === '') continue;
    if (name === 'default') {
      defaults.forEach((m) => chosen.add(m));
      continue;
    }
    if (name === 'all') {
      (dimensions === 3 ? METRIC_NAMES : METRICS_2D).forEach((m) => chosen.add(m));
      continue;
    }
    const m = (METRIC_NAMES as readonly string[]).includes(name) ? (name as MetricName) : METRIC_ALIASES[name];
    if (!m) {
      throw new InvalidArgumentError(
        `unknown metric '${name}' (known: ${METRIC_NAMES.join(', ')}; also 'default', 'all' and the aliases ${Object.keys(METRIC_ALIASES).join(', ')})`,
      );
    }
    if (dimensions === 2 && !METRICS_2D.includes(m)) {
      throw new InvalidArgumentError(
        `metric '${name}' is a property of the 3D material and is not computed for a 2D image (2D metrics: ${METRICS_2D.join(', ')})`,
      );
    }
    chosen.add(m);
  }
  return METRIC_NAMES.filter((m) => chosen.has(m));
}

/** Describes the phases present, for error messages: "0 (file value 0), 1 (file value 255)". */
export function describePhases(present: readonly number[], labels: readonly number[] | undefined): string {
  return present.map((p) => (labels?.[p] !== undefined ? `${p} (file value ${labels[p]})` : String(p))).join(', ');
}

/** The phases option (phase indices) checked against the phases present; default all present, sorted. */
export function resolvePhases(phases: unknown, present: readonly number[], labels: readonly number[] | undefined): number[] {
  if (phases === undefined) return [...present];
  if (!Array.isArray(phases) || phases.length === 0) {
    throw new InvalidArgumentError('phases must be a non-empty array of phase indices');
  }
  const out = new Set<number>();
  for (const p of phases) {
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 255) {
      throw new InvalidArgumentError(`a phase must be an integer phase index in 0..255, got ${String(p)}`);
    }
    if (!present.includes(p)) {
      const hint = labels?.includes(p) ? `; ${p} is the file value of phase ${labels.indexOf(p)} (phases are indices, not file values)` : '';
      throw new InvalidArgumentError(
        `phase ${p} does not occur in the volume; phases present: ${describePhases(present, labels)}${hint}`,
      );
    }
    out.add(p);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * Renumbers the reference's phases to the volume's by file value when both carry `labels` and they differ
 * (e.g. a reference holding only grain, file value 255, as its phase 0). File values the volume lacks get new
 * indices after the volume's. Returns null when nothing changes. Runs in chunks so the event loop stays free.
 */
export async function alignReferenceLabels(
  vol: PreparedVolume,
  ref: PreparedVolume,
  signal?: AbortSignal,
): Promise<{ view: LabelVolume; labels: number[]; mapping: { from: number; to: number }[] } | null> {
  const a = vol.labels;
  const b = ref.labels;
  if (!a || !b) return null;
  if (a.length === b.length && a.every((v, i) => v === b[i])) return null;
  const labels = [...a];
  const lut = new Uint8Array(256);
  for (let i = 0; i < 256; ++i) lut[i] = i;
  const mapping: { from: number; to: number }[] = [];
  b.forEach((value, from) => {
    let to = labels.indexOf(value);
    if (to < 0) {
      to = labels.length;
      labels.push(value);
    }
    if (to > 255) throw new InvalidArgumentError('volume and reference together hold more than 256 phases');
    lut[from] = to;
    mapping.push({ from, to });
  });
  if (mapping.every((m) => m.from === m.to)) return null;
  const src = ref.view.data;
  const out = new Uint8Array(src.length);
  const CHUNK = 1 << 22;
  for (let start = 0; start < src.length; start += CHUNK) {
    const end = Math.min(src.length, start + CHUNK);
    for (let i = start; i < end; ++i) out[i] = lut[src[i]!]!;
    if (end < src.length) {
      await new Promise((r) => setTimeout(r, 0));
      if (signal?.aborted) throw new AbortError();
    }
  }
  return { view: { shape: ref.view.shape, data: out }, labels, mapping };
}
