// Reconstruct 3D volumes with the shipped models (run `npm run build` first):
//   node examples/reconstruct.mjs
// single mode: one 2D slice -> a volume continuing it; sections mode: 7 serial sections -> the volume between them;
// a size larger than the model's is tiled across x/y and continued along depth, streamed slice by slice.
import { Reconstructor, readImage, readVolume, writeVolume, TiffStreamWriter } from '../dist/index.js';

const data = new URL('../../shared/data/', import.meta.url);

// 1. Berea sandstone: a 64x64 slice -> a 64^3 volume (the slice at z = 0)
const rec = await Reconstructor.load('builtin:berea', { backend: 'auto' });
console.log('berea model:', rec.info.mode, 'k =', rec.info.k, 'trained at', rec.info.size, 'phases', rec.info.labels);
const slice = await readImage(new URL('berea/berea_slice64.png', data).pathname);
const vol = await rec.reconstruct(slice, { size: 64, seed: 1, onProgress: (f) => process.stdout.write(`\r${(f * 100).toFixed(0)} %`) });
console.log('\nvolume', vol.shape, 'labels', vol.labels);
await writeVolume('berea-64.tif', vol);

// 2. The same, 128^3, streamed to a TIFF slice by slice (bounded memory)
const out = new TiffStreamWriter('berea-128.tif', [128, 128, 128], rec.info.labels ?? undefined);
await out.open();
// the input must be at least size x size: take a 128x128 slice of the Berea stack
const stack = await readVolume(new URL('berea/berea.tif', data).pathname);
const s128 = { shape: [1, 128, 128], data: new Uint8Array(128 * 128), labels: stack.labels };
for (let y = 0; y < 128; y++) s128.data.set(stack.data.subarray(y * 400, y * 400 + 128), y * 128);
for await (const z of rec.stream(s128, { size: 128, seed: 1 })) await out.writeSlice(z);
await out.close();
rec.dispose();

// 3. NMC cathode: 7 serial sections (a 7-page TIFF) -> the 64^3 block between them
const nmc = await Reconstructor.load('builtin:nmc');
const sections = await readVolume(new URL('nmc/nmc_sections7.tif', data).pathname);
const block = await nmc.reconstruct(sections, { size: 64, seed: 1 });
await writeVolume('nmc-64.tif', block);
nmc.dispose();

// 4. Porosity of the result next to the input's
const por = (v) => v.data.reduce((n, x) => n + (x === 0 ? 1 : 0), 0) / v.data.length;
console.log('porosity: input slice', por(slice).toFixed(3), 'generated volume', por(vol).toFixed(3));
