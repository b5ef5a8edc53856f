/**
 * Exports the builtin models' training data as phase-index .npy files (plus the held-out split) for the PyTorch GPU
 * trainer (scripts/gpu/train_torch.py), through the SDK's own loader so that label mapping, Otsu segmentation of
 * micrographs and the held-out region are exactly the SDK trainer's.
 *
 *   npx tsx scripts/gpu/export-data.ts [outDir=.gpu/data]
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadTrainingData } from '../../src/trainer/index.js';

function npyU8(data: Uint8Array, shape: number[]): Uint8Array {
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}

const outDir = process.argv[2] ?? '.gpu/data';
await mkdir(outDir, { recursive: true });
for (const name of ['berea', 'ketton', 'nmc', 'steel']) {
  const cfg = JSON.parse(await readFile(`models/${name}/config.json`, 'utf8'));
  const d = cfg.notes.data;
  const data = await loadTrainingData(d.sources, cfg.training, cfg.size, cfg.notes.trainer.heldOutFraction);
  const meta: Record<string, unknown> = { name, mode: data.mode, phases: data.phases, heldOut: data.heldOut, fractions: data.fractions };
  if (data.volume) {
    await writeFile(join(outDir, `${name}.npy`), npyU8(data.volume.data, data.volume.shape));
    meta.shape = data.volume.shape;
  } else {
    for (const [p, v] of Object.entries(data.planes!)) await writeFile(join(outDir, `${name}_${p}.npy`), npyU8(v.data, v.shape.slice(1)));
  }
  await writeFile(join(outDir, `${name}.json`), JSON.stringify(meta, null, 1));
  console.log(name, JSON.stringify(meta));
}
