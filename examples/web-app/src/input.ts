/**
 * Turning a dropped file into the model's input: decoded by the SDK's readers from the file's own bytes (the
 * format comes from the magic bytes, never the name); grey micrographs are segmented by Otsu's threshold, as the
 * CLI does. Every failure becomes one sentence for the page.
 */
import { readVolume, MicroreconError, type Volume } from '../../../src/index.js';

/** Larger files are refused before decoding (a browser tab has little memory to spare). */
export const MAX_FILE_BYTES = 64 * 2 ** 20;
/** Largest slice edge accepted: the app reconstructs at most 256³ from the top-left corner anyway. */
export const MAX_EDGE = 8192;

export class InputError extends Error {}

export async function decodeInput(bytes: Uint8Array, name: string): Promise<Volume> {
  if (bytes.length === 0) throw new InputError(`${name} is empty.`);
  if (bytes.length > MAX_FILE_BYTES)
    throw new InputError(`${name} is ${(bytes.length / 2 ** 20).toFixed(0)} MB; the app takes images up to ${MAX_FILE_BYTES / 2 ** 20} MB (crop it first).`);
  // checked by the decoders from the header, before any pixel is decoded
  const maxVoxels = MAX_EDGE * MAX_EDGE;
  let v: Volume;
  try {
    v = await readVolume(bytes, { name, maxVoxels });
  } catch (err) {
    if (err instanceof MicroreconError && /label|distinct|threshold|grey/i.test(err.message)) {
      v = await readVolume(bytes, { name, maxVoxels, threshold: 'otsu' }).catch((e: unknown) => fail(e, name));
    } else fail(err, name);
  }
  const [, h, w] = v!.shape;
  if (h > MAX_EDGE || w > MAX_EDGE) throw new InputError(`${name} is ${w}×${h} pixels; the app takes at most ${MAX_EDGE}×${MAX_EDGE}.`);
  return v!;
}

function fail(err: unknown, name: string): never {
  if (err instanceof MicroreconError) {
    if (err.code === 'ERR_FORMAT') throw new InputError(`${name} is not an image the app can read (PNG, JPEG or TIFF): ${err.message}`);
    if (err.code === 'ERR_OUT_OF_MEMORY') throw new InputError(`${name} is too large: ${err.message}`);
    throw new InputError(`${name}: ${err.message}`);
  }
  throw new InputError(`${name} could not be read: ${(err as Error)?.message ?? String(err)}`);
}

/** The slices a model takes: the first `k` planes of the input (single mode: k = 1). */
export function slicesFor(v: Volume, k: number): Volume {
  const [z, h, w] = v.shape;
  if (z < k) throw new InputError(`this model takes ${k} serial sections (a ${k}-page TIFF); the input has ${z}.`);
  return { ...v, shape: [k, h, w], data: v.data.subarray(0, k * h * w) };
}
