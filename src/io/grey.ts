/** Colour to grey, and file sample types to the three grey types raw mode returns. */
import type { GreyData } from './types.js';
import type { NumericArray } from './volume.js';

// ITU-R 601-2 luma in 16-bit fixed point, as PIL's convert('L'); the weights sum to 65536 so grey RGB stays exact.
const WR = 19595;
const WG = 38470;
const WB = 7471;

/**
 * Writes one grey value per pixel into out[outAt..]: luminance of the first three samples for RGB(A), the first
 * sample otherwise (grey + alpha). Samples are interleaved, or in planes of nPix when `planar`.
 */
export function toLuminance(
  samples: ArrayLike<number>,
  nPix: number,
  spp: number,
  planar: boolean,
  rgb: boolean,
  out: NumericArray,
  outAt: number,
): void {
  const step = planar ? 1 : spp;
  const plane = planar ? nPix : 1;
  const integer = !(out instanceof Float32Array || out instanceof Float64Array);
  for (let i = 0; i < nPix; i++) {
    const p = i * step;
    if (!rgb) {
      out[outAt + i] = samples[p];
      continue;
    }
    const v = (samples[p] * WR + samples[p + plane] * WG + samples[p + 2 * plane] * WB) / 65536;
    out[outAt + i] = integer ? Math.round(v) : v;
  }
}

/** The grey array raw mode returns: uint8 and bool as Uint8Array, uint16 as Uint16Array, anything else float32. */
export function toGreyData(data: NumericArray): GreyData {
  if (data instanceof Uint8Array || data instanceof Uint16Array || data instanceof Float32Array) return data;
  return Float32Array.from(data);
}
