/**
 * Per-phase differences between the volume's report and the reference's (small arrays only: cheap in JS).
 * Conventions: difference = volume - reference; relativeError = difference / |reference|, 0 when both are equal
 * (both 0 included), null when the reference value is 0 (and the volume's is not) or either is null. RMSE of two
 * curves over their common lags.
 */
import type { AxisValues } from '../metrics/native-stats.js';
import type { AbsentPhaseReport, Difference, PhaseComparison, PhaseReport } from './types.js';

const AXES = ['x', 'y', 'z'] as const;

export function difference(volume: number | null | undefined, reference: number | null | undefined): Difference {
  const v = volume ?? null;
  const r = reference ?? null;
  if (v === null || r === null) return { volume: v, reference: r, difference: null, relativeError: null };
  const d = v - r;
  const relativeError = d === 0 ? 0 : r === 0 ? null : d / Math.abs(r);
  return { volume: v, reference: r, difference: d, relativeError };
}

export function rmse(a: readonly number[] | null | undefined, b: readonly number[] | null | undefined): number | null {
  if (!a || !b) return null;
  const n = Math.min(a.length, b.length);
  if (n === 0) return null;
  let s = 0;
  for (let i = 0; i < n; ++i) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s / n);
}

function perAxis<T, U>(
  a: AxisValues<T> | undefined,
  b: AxisValues<T> | undefined,
  f: (x: T | null, y: T | null) => U | null,
): AxisValues<U> {
  const out = { x: null, y: null, z: null } as AxisValues<U>;
  for (const k of AXES) out[k] = a?.[k] == null && b?.[k] == null ? null : f(a?.[k] ?? null, b?.[k] ?? null);
  return out;
}

function isAbsent(r: PhaseReport | AbsentPhaseReport): r is AbsentPhaseReport {
  return (r as AbsentPhaseReport).absent === true;
}

export function comparePhase(v: PhaseReport, ref: PhaseReport | AbsentPhaseReport): PhaseComparison {
  const out: PhaseComparison = {
    label: v.label,
    presentInReference: !isAbsent(ref),
    volumeFraction: difference(v.volumeFraction, ref.volumeFraction),
  };
  const r: Partial<PhaseReport> = isAbsent(ref) ? {} : ref;
  if (v.twoPointCorrelation) {
    out.twoPointCorrelationRmse = {
      ...perAxis(v.twoPointCorrelation, r.twoPointCorrelation, (a, b) => rmse(a, b)),
      radial: rmse(v.twoPointCorrelation.radial?.values, r.twoPointCorrelation?.radial?.values),
    };
  }
  if (v.linealPath) out.linealPathRmse = perAxis(v.linealPath, r.linealPath, (a, b) => rmse(a, b));
  if (v.chordLength) out.chordLengthMean = perAxis(v.chordLength, r.chordLength, (a, b) => difference(a?.mean, b?.mean));
  if (v.surfaceArea) {
    const a = v.surfaceArea;
    const b = r.surfaceArea;
    out.surfaceArea = {
      faceCount: difference(a.faceCount, b?.faceCount),
      marchingCubes: difference(a.marchingCubes, b?.marchingCubes),
      marchingCubesCorrected: difference(a.marchingCubesCorrected, b?.marchingCubesCorrected),
    };
  }
  if (v.poreSizeDistribution !== undefined) {
    out.poreSizeMean = difference(v.poreSizeDistribution?.mean, r.poreSizeDistribution?.mean);
  }
  if (v.tortuosity) {
    out.tortuosityFactor = perAxis(v.tortuosity, r.tortuosity, (a, b) => difference(a?.tortuosityFactor, b?.tortuosityFactor));
    out.relativeDiffusivity = perAxis(v.tortuosity, r.tortuosity, (a, b) =>
      difference(a?.relativeDiffusivity, b?.relativeDiffusivity ?? (isAbsent(ref) ? 0 : null)),
    );
  }
  if (v.anisotropy) out.anisotropyDegree = difference(v.anisotropy.degree, r.anisotropy?.degree);
  if (v.permeability) {
    out.permeability = perAxis(v.permeability, r.permeability, (a, b) =>
      difference(a?.permeability, b?.permeability ?? (isAbsent(ref) ? 0 : null)),
    );
  }
  return out;
}
