/** A tiny model config and a small Berea crop: cheap training runs for the trainer tests on every backend. */
import { join } from 'node:path';
import { readVolume, type Volume } from '../../src/index.js';
import { cropLabels } from '../../src/trainer/index.js';

export const tiny = {
  generator: { encoderChannels: [4, 8], decoderChannels: [3, 6], headChannels: 2, noiseChannels: 1, noise3dChannels: 1, cbamKernel: 3 },
  critic: { channels: [4, 8] },
  optim: { batchSize: 1, emaDecay: 0.9 },
};

/** The bundled 48³ Berea crop (labels 0 / 255). */
export const berea = await readVolume(join(import.meta.dirname, '../../data/berea_crop48.tif'));
/** 40 x 24 x 24 labels of the bundled Berea crop. */
export const small: Volume = { shape: [40, 24, 24], data: cropLabels(berea.data, berea.shape, [0, 0, 0], [40, 24, 24]), labels: berea.labels };
