/**
 * JPEG (read only: a lossy format cannot keep labels) through jpeg-js, pure JS. Colour becomes grey by luminance;
 * grey JPEGs come back exactly (jpeg-js expands them to equal RGB). Tolerant decoding is off so that a truncated
 * file is an error rather than a partly grey image.
 */
import jpegjs from 'jpeg-js';
import { toLuminance } from './grey.js';
import { checkFileShape, type Decoded, formatError } from './volume.js';

export function isJpeg(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

/** Width and height from the first start-of-frame marker, to refuse huge images before decoding. */
function frameSize(b: Uint8Array): [number, number] | undefined {
  let at = 2;
  while (at + 9 < b.length) {
    if (b[at] !== 0xff) return undefined;
    const marker = b[at + 1];
    if (marker === 0xff) {
      at++;
      continue;
    }
    const len = (b[at + 2] << 8) | b[at + 3];
    const sof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (sof) return [(b[at + 5] << 8) | b[at + 6], (b[at + 7] << 8) | b[at + 8]];
    at += 2 + len;
  }
  return undefined;
}

export function decodeJpeg(bytes: Uint8Array, name: string, maxVoxels: number): Decoded {
  const size = frameSize(bytes);
  if (!size) throw formatError(name, 'JPEG has no frame header (truncated or corrupt)');
  checkFileShape([1, size[0], size[1], 3], maxVoxels, name);
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpegjs.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: Math.ceil(maxVoxels / 1e6),
      maxMemoryUsageInMB: 4096,
    });
  } catch (e) {
    throw formatError(name, `corrupt or unsupported JPEG (${e instanceof Error ? e.message : String(e)})`, e);
  }
  const n = img.width * img.height;
  if (img.data.length !== n * 3) throw formatError(name, 'JPEG decoded to an unexpected size');
  const grey = new Uint8Array(n);
  toLuminance(img.data, n, 3, false, true, grey, 0);
  return { shape: [1, img.height, img.width], data: grey, dtype: 'uint8', format: 'jpeg' };
}
