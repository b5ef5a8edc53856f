/**
 * The depth continuation of the PyTorch training script (continue_depth in scripts/gpu/train_torch.py, behind
 * --conn-continue) against the SDK's Reconstructor: builtin:berea continues a 64³ output from its bundled slice with
 * the noise the Reconstructor draws per depth block, and the reference generator (float64) chained by
 * continue_depth must give the same labels on the slices the first two blocks make (>= 99.95 % of the voxels; all
 * agree here; scripts/gpu/check_continuation.py). Starting the second block one slice early gives 97.1 %, leaving the
 * shared slices unblended 99.71 %. Needs Debian's python3-torch; without it the test says so and is skipped.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Reconstructor, readVolume } from '../../src/index.js';
import { loadModel } from '../../src/model/index.js';
import { tileNoiseSeed } from '../../src/reconstructor/reconstructor.js';
import { PYTHON, pythonHas } from './python.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const hasTorch = pythonHas(['torch'], 'continuation.test: the training continuation check');

describe('training depth continuation (scripts/gpu/train_torch.py continue_depth)', () => {
  it.skipIf(!hasTorch)('chains two depth blocks as Reconstructor.stream() does', async () => {
    const slice = await readVolume(join(ROOT, 'data', 'berea_slice64.png'));
    const n = slice.shape[2], seed = 3;
    const rec = await Reconstructor.load('builtin:berea', { backend: 'cpu' });
    const { dir, config } = rec.info;
    expect(config.size).toBe(32);
    expect(config.inference?.tile).toBe(n); // one tile per depth block, so the noise below is all the Reconstructor drew
    const out = await rec.reconstruct(slice, { size: n, seed });
    rec.dispose();
    const gen = await loadModel(dir);
    const noise = [];
    for (const blk of [0, 1]) {
      const z = gen.makeNoise(1, n, n, tileNoiseSeed(seed, blk, 0));
      noise.push({ map: [...(await z.map!.read())], mapShape: z.map!.shape, volume: [...(await z.volume!.read())], volumeShape: z.volume!.shape });
      z.map!.dispose();
      z.volume!.dispose();
    }
    gen.dispose();
    // the labels the model sees: phase indices (the PNG's values mapped through the model's labels)
    const labels = (config.notes as { data: { labels: number[] } }).data.labels;
    const input = [...slice.data].map((v) => labels.indexOf(slice.labels ? slice.labels[v] : v));
    expect(input.every((v) => v >= 0)).toBe(true);
    const outIdx = [...out.data].map((v) => labels.indexOf(out.labels ? out.labels[v] : v));
    const tmp = mkdtempSync(join(tmpdir(), 'cont-'));
    try {
      const file = join(tmp, 'case.json');
      writeFileSync(file, JSON.stringify({ model: dir, inputShape: [n, n], input, noise, labels: outIdx }));
      const r = spawnSync(PYTHON, [join(ROOT, 'scripts', 'gpu', 'check_continuation.py'), '--sdk', file], { encoding: 'utf8' });
      const res = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
      expect(res.depth, `${r.stdout}\n${r.stderr}`).toBe(59);
      expect(res.agreement, `${r.stdout}\n${r.stderr}`).toBeGreaterThanOrEqual(0.9995);
      expect(r.status).toBe(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 180_000);
});
