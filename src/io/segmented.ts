/** Reading a label file that may instead be a greyscale micrograph. */
import { MicroreconError } from '../core/errors.js';
import { readImage, readVolume } from './read.js';
import type { Volume } from './types.js';

/**
 * A label image or stack as it is; a greyscale one (too many distinct values for labels, e.g. a micrograph)
 * segmented into 2 phases by Otsu's threshold. `image`: one 2D image (readImage) instead of a volume.
 */
export async function readSegmented(path: string, o: { image?: boolean } = {}): Promise<Volume> {
  const read = (opts?: { threshold: 'otsu' }) => (o.image ? readImage(path, opts) : readVolume(path, opts));
  try {
    return await read();
  } catch (err) {
    if (err instanceof MicroreconError && /label|distinct|threshold|grey/i.test(err.message)) return read({ threshold: 'otsu' });
    throw err;
  }
}
