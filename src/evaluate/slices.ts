/** Orthogonal mid slices of a label volume as palette PNGs (fast-png), for the HTML report. */
import { encode } from 'fast-png';
import type { PreparedVolume } from './input.js';

/** Phase colours (phase index -> RGB), repeated past the end; 0 dark, 1 light as pore / grain images usually are. */
export const PHASE_COLOURS: readonly (readonly [number, number, number])[] = [
  [34, 48, 74],
  [232, 217, 181],
  [209, 73, 91],
  [102, 161, 130],
  [237, 174, 73],
  [0, 121, 140],
  [141, 106, 159],
  [120, 120, 120],
];

export function phaseColour(label: number): readonly [number, number, number] {
  return PHASE_COLOURS[label % PHASE_COLOURS.length]!;
}

export interface SliceImage {
  /** 'xy', 'xz', 'yz' (the image plane) and where it cuts, e.g. 'xy, z = 24'. */
  title: string;
  width: number;
  height: number;
  /** data:image/png;base64,... */
  dataUrl: string;
}

function toBase64(bytes: Uint8Array): string {
  if (typeof Buffer !== 'undefined') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function png(pixels: Uint8Array, width: number, height: number): string {
  let max = 0;
  for (let i = 0; i < pixels.length; ++i) if (pixels[i]! > max) max = pixels[i]!;
  const palette = Array.from({ length: max + 1 }, (_, k) => [...phaseColour(k)] as [number, number, number]);
  const bytes = encode({ width, height, data: pixels, channels: 1, depth: 8, palette });
  return `data:image/png;base64,${toBase64(bytes)}`;
}

/** Mid slices: xy (z = nz/2), xz (y = ny/2), yz (x = nx/2) in 3D; the image itself in 2D. Rows run top to bottom. */
export function midSlices(p: PreparedVolume): SliceImage[] {
  const data = p.view.data;
  const [nz, ny, nx] = p.view.shape;
  if (p.dimensions === 2) {
    const plane = p.plane ?? 'xy';
    return [{ title: `${plane} image`, width: nx, height: ny, dataUrl: png(data.subarray(0, ny * nx), nx, ny) }];
  }
  const zc = nz >> 1;
  const yc = ny >> 1;
  const xc = nx >> 1;
  const xy = data.subarray(zc * ny * nx, (zc + 1) * ny * nx);
  const xz = new Uint8Array(nz * nx);
  for (let z = 0; z < nz; ++z) xz.set(data.subarray((z * ny + yc) * nx, (z * ny + yc + 1) * nx), z * nx);
  const yz = new Uint8Array(nz * ny);
  for (let z = 0; z < nz; ++z) for (let y = 0; y < ny; ++y) yz[z * ny + y] = data[(z * ny + y) * nx + xc]!;
  return [
    { title: `xy, z = ${zc}`, width: nx, height: ny, dataUrl: png(xy, nx, ny) },
    { title: `xz, y = ${yc}`, width: nx, height: nz, dataUrl: png(xz, nx, nz) },
    { title: `yz, x = ${xc}`, width: ny, height: nz, dataUrl: png(yz, ny, nz) },
  ];
}
