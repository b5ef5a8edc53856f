/**
 * Can three plane images be sections of one material? Each axis lies in two of the planes (x: xy and xz columns;
 * y: xy rows and yz columns; z: xz and yz rows, the PLANE_AXIS layout), and for a stationary material the
 * correlation along an axis is the same in every plane that contains it. So per axis: the normalised two-point
 * correlation (S2(r) − φ²) / (φ − φ²) of each phase along that axis in both images, their RMS difference over lags
 * 1..maxLag, against the same difference between the top and bottom halves of one image (what sampling alone gives).
 * A ratio far above 1 means no single volume can match both images (other magnification, contrast, orientation,
 * or material); 2D-only training then finds a compromise and each plane's statistics miss their image.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { Volume } from '../io/types.js';
import type { PlaneName } from './data.js';
import { twoPoint } from './stats.js';

export interface AxisConsistency {
  axis: 'x' | 'y' | 'z';
  /** the two images and the direction in each: 'rows' (down the image) or 'columns' (across) */
  images: [{ plane: PlaneName; along: 'rows' | 'columns' }, { plane: PlaneName; along: 'rows' | 'columns' }];
  /** RMS over lags of the difference of the two images' normalised correlation curves (worst phase) */
  rms: number;
  /** the larger of the two images' half-vs-half RMS along the same direction: the sampling noise */
  noise: number;
  /** rms / noise */
  ratio: number;
}

export interface PlaneConsistency {
  maxLag: number;
  axes: AxisConsistency[];
  /** every axis within `tolerance` times the noise (plus 0.02 absolute) */
  consistent: boolean;
  tolerance: number;
}

const AXES: Array<[AxisConsistency['axis'], PlaneName, 'rows' | 'columns', PlaneName, 'rows' | 'columns']> = [
  ['x', 'xy', 'columns', 'xz', 'columns'],
  ['y', 'xy', 'rows', 'yz', 'columns'],
  ['z', 'xz', 'rows', 'yz', 'rows'],
];

/** Smallest image edge planeConsistency takes for lags up to maxLag (two halves, each longer than the lags). */
export const minPlaneEdge = (maxLag: number): number => 2 * maxLag + 2;

/** Normalised correlation of phase p along rows or columns of rows [y0, y1) of an image, lags 1..maxLag. */
export function directionalCorrelation(img: Volume, p: number, along: 'rows' | 'columns', maxLag: number, y0 = 0, y1 = img.shape[1]): Float64Array {
  const w = img.shape[2];
  const s2 = twoPoint(img.data.subarray(y0 * w, y1 * w), [1, y1 - y0, w], p, along === 'rows' ? 1 : 2, maxLag);
  const phi = s2[0], v = phi - phi * phi;
  return Float64Array.from(s2.slice(1), (x) => (v > 0 ? (x - phi * phi) / v : 0));
}

const rmsOverLags = (a: Float64Array, b: Float64Array) => Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]) ** 2, 0) / a.length);

export function planeConsistency(planes: Record<PlaneName, Volume>, o: { phases?: number; maxLag?: number; tolerance?: number } = {}): PlaneConsistency {
  const maxLag = o.maxLag ?? 32, tolerance = o.tolerance ?? 3;
  for (const p of ['xy', 'xz', 'yz'] as const) {
    const v = planes[p];
    if (!v || v.shape[0] !== 1) throw new InvalidArgumentError(`planeConsistency: plane ${p} must be one 2D image`);
    if (v.shape[1] < minPlaneEdge(maxLag) || v.shape[2] < minPlaneEdge(maxLag)) throw new InvalidArgumentError(`planeConsistency: plane ${p} (${v.shape[2]}x${v.shape[1]}) is too small for lags up to ${maxLag}`);
  }
  const P = o.phases ?? 2;
  const axes = AXES.map(([axis, pa, da, pb, db]): AxisConsistency => {
    let rms = 0, noise = 0;
    for (let p = 0; p < (P === 2 ? 1 : P); p++) { // two phases: one indicator says it all
      rms = Math.max(rms, rmsOverLags(directionalCorrelation(planes[pa], p, da, maxLag), directionalCorrelation(planes[pb], p, db, maxLag)));
      for (const [pl, dir] of [[pa, da], [pb, db]] as const) {
        const h = planes[pl].shape[1], mid = h >> 1;
        noise = Math.max(noise, rmsOverLags(directionalCorrelation(planes[pl], p, dir, maxLag, 0, mid), directionalCorrelation(planes[pl], p, dir, maxLag, mid, h)));
      }
    }
    return { axis, images: [{ plane: pa, along: da }, { plane: pb, along: db }], rms, noise, ratio: rms / Math.max(noise, 1e-9) };
  });
  return { maxLag, axes, tolerance, consistent: axes.every((a) => a.rms <= tolerance * a.noise + 0.02) };
}
