// Quick start on bundled data: read a Berea sandstone crop, list its phases, and smooth the pore indicator
// with a 3D convolution on the best available backend.
import { backends, ops, readVolume, sampleDataPath, tensor, volumeInfo } from 'microrecon';

const file = await sampleDataPath('berea_crop48.tif');
const vol = await readVolume(file);
const info = volumeInfo(vol);
console.log(`read ${file}: ${info.shape.join('×')} voxels, file values ${info.labels.join('/')}, ` +
  `pore fraction ${info.phaseFractions[0].toFixed(4)}`);

const available = (await backends()).filter((b) => b.available).map((b) => b.name);
console.log(`backends available here: ${available.join(', ')}`);

// pore indicator as a [N=1, C=1, z, y, x] tensor, then a 5×5×5 box filter (the local porosity)
const [z, y, x] = vol.shape;
const pore = Float32Array.from(vol.data, (phase) => (phase === 0 ? 1 : 0));
const input = tensor(pore, [1, 1, z, y, x]);
const box = tensor(new Float32Array(125).fill(1 / 125), [1, 1, 5, 5, 5]);
const t0 = performance.now();
const local = await ops.conv3d(input, box, { padding: 2 });
const values = await local.read();
const ms = performance.now() - t0;
let lo = Infinity, hi = -Infinity, sum = 0;
for (const v of values) { lo = Math.min(lo, v); hi = Math.max(hi, v); sum += v; }
console.log(`local porosity (5³ window, conv3d in ${ms.toFixed(1)} ms): min ${lo.toFixed(3)}, ` +
  `mean ${(sum / values.length).toFixed(3)}, max ${hi.toFixed(3)}`);
for (const t of [input, box, local]) t.dispose();
