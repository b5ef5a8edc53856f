/** Turns the native results of one phase into its report entry: caller's axis names, physical units, nulls. */
import type { AxisValues, PhaseStatistics } from '../metrics/native-stats.js';
import type { PermeabilityResult, TortuosityResult } from '../metrics/native-transport.js';
import { directionToCallerAxes, toCallerAxes, type PreparedVolume } from './input.js';
import type { ChordLengthAxisReport, PhaseReport, TortuosityAxisReport, PermeabilityAxisReport } from './types.js';

function mapAxes<T, U>(v: AxisValues<T>, f: (t: T) => U): AxisValues<U> {
  return { x: v.x === null ? null : f(v.x), y: v.y === null ? null : f(v.y), z: v.z === null ? null : f(v.z) };
}

const perMetre = (v: number, s: number | null) => (s === null ? null : v / s);
const metres = (v: number | null, s: number | null) => (s === null || v === null ? null : v * s);

export interface PhaseInputs {
  label: number;
  fileValue: number | null;
  /** Voxels of the phase (from the label counts). */
  voxels: number;
  totalVoxels: number;
  stats?: PhaseStatistics;
  tortuosity?: TortuosityResult;
  permeability?: PermeabilityResult;
}

export function phaseReport(inp: PhaseInputs, p: PreparedVolume, spacing: number | null): PhaseReport {
  const s = inp.stats;
  const out: PhaseReport = {
    label: inp.label,
    fileValue: inp.fileValue,
    voxels: inp.voxels,
    // The native value, so that S2(0) equals it bit for bit; the counts give the same number without statistics.
    volumeFraction: s ? s.volumeFraction : inp.voxels / inp.totalVoxels,
  };
  if (s?.twoPointCorrelation) {
    out.twoPointCorrelation = {
      ...toCallerAxes(s.twoPointCorrelation, p),
      radial: s.radialTwoPointCorrelation ?? null,
    };
  }
  if (s?.linealPath) out.linealPath = toCallerAxes(s.linealPath, p);
  if (s?.chordLength) {
    out.chordLength = toCallerAxes(
      mapAxes(s.chordLength, (c): ChordLengthAxisReport => ({ ...c, meanMetres: metres(c.mean, spacing) })),
      p,
    );
  }
  if (s?.surfaceArea) {
    const a = s.surfaceArea;
    out.surfaceArea = {
      unit: p.dimensions === 3 ? 'voxel^-1' : 'pixel^-1',
      ...a,
      faceCountPerMetre: perMetre(a.faceCount, spacing),
      marchingCubesPerMetre: perMetre(a.marchingCubes, spacing),
      marchingCubesCorrectedPerMetre: perMetre(a.marchingCubesCorrected, spacing),
    };
  }
  if (s?.connectivity) out.connectivity = { ...s.connectivity, percolates: toCallerAxes(s.connectivity.percolates, p) };
  if (s && s.poreSizeDistribution !== undefined) {
    const t = s.poreSizeDistribution;
    out.poreSizeDistribution = t
      ? { method: t.method, histogram: t.counts, binWidth: 1, mean: t.mean, max: t.max, meanMetres: metres(t.mean, spacing) }
      : null;
  }
  if (inp.tortuosity) {
    const t = inp.tortuosity;
    out.tortuosity = { x: t.x ?? null, y: t.y ?? null, z: t.z ?? null } as AxisValues<TortuosityAxisReport>;
  }
  if (s?.anisotropy) {
    const a = s.anisotropy;
    const corr = toCallerAxes(a.correlationLength, p);
    out.anisotropy = {
      ...a,
      principalDirections: a.principalDirections.map((d) => directionToCallerAxes(d, p)),
      correlationLength: corr,
      correlationLengthMetres: spacing === null ? null : mapAxes(corr, (v) => v * spacing),
    };
  }
  if (inp.permeability) {
    const k = inp.permeability;
    out.permeability = { x: k.x ?? null, y: k.y ?? null, z: k.z ?? null } as AxisValues<PermeabilityAxisReport>;
  }
  return out;
}
