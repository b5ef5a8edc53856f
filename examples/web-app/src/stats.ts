/**
 * Statistics computed in the page, in TypeScript: the SDK's evaluate() needs the native metrics addon (Node
 * only), so the app shows what plain TypeScript computes honestly at this size: phase fractions, the two-point
 * correlation S2 of the pore phase (the SDK's trainer code), and pore chord lengths (runs of pore voxels along
 * the axes, a standard pore-size measure; not the local-thickness pore sizes of the Node evaluate()).
 */
import { phaseFractions, twoPoint } from '../../../src/trainer/stats.js';
import type { Volume } from '../../../src/index.js';

export interface Stats {
  fractions: number[];
  /** S2 of phase 0 per axis [x, y, (z)] for lags 0..maxLag */
  s2: number[][];
  /** histogram of pore chord lengths (index = length in voxels), normalised to a probability */
  chords: number[];
  meanChord: number;
}

export function statsOf(v: Volume, phases: number, maxLag: number): Stats {
  const shape = v.shape as [number, number, number];
  const axes = (shape[0] > 1 ? [2, 1, 0] : [2, 1]) as (0 | 1 | 2)[];
  const s2 = axes.map((a) => twoPoint(v.data, shape, 0, a, maxLag));
  const { hist, mean } = chordLengths(v.data, shape, axes);
  return { fractions: phaseFractions(v.data, phases), s2, chords: hist, meanChord: mean };
}

/** Lengths of the maximal runs of phase 0 along each axis, runs touching the border excluded (their length is unknown). */
function chordLengths(d: Uint8Array, [nz, ny, nx]: [number, number, number], axes: (0 | 1 | 2)[]): { hist: number[]; mean: number } {
  const counts: number[] = [];
  let total = 0, sum = 0;
  const add = (len: number) => {
    counts[len] = (counts[len] ?? 0) + 1;
    total++;
    sum += len;
  };
  for (const a of axes) {
    const n = [nz, ny, nx][a];
    const stride = a === 0 ? ny * nx : a === 1 ? nx : 1;
    for (let z = 0; z < (a === 0 ? 1 : nz); z++)
      for (let y = 0; y < (a === 1 ? 1 : ny); y++)
        for (let x = 0; x < (a === 2 ? 1 : nx); x++) {
          const base = (z * ny + y) * nx + x;
          let run = 0, start = 0;
          for (let i = 0; i < n; i++) {
            if (d[base + i * stride] === 0) {
              if (run === 0) start = i;
              run++;
            } else {
              if (run > 0 && start > 0) add(run);
              run = 0;
            }
          }
        }
  }
  const hist = Array.from({ length: counts.length }, (_, i) => (counts[i] ?? 0) / Math.max(1, total));
  return { hist, mean: total ? sum / total : 0 };
}
