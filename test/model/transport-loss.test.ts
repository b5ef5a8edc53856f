/**
 * The connectivity and correlation terms of the PyTorch training script (scripts/gpu/transport_loss.py and
 * correlation_loss.py): the flux against analytic cases, a direct sparse solve and finite differences, its D_eff / D
 * on a real Berea block against the SDK's tortuosity() (the protocol's own solver) to 1e-3 relative, the S2 the
 * correlation term counts against the SDK trainer's twoPoint(), the surface term's area against the SDK's face
 * count, the depth-homogeneity term (changed voxels per slice of labels, its loss against numpy, finite differences)
 * and the quantile-matching connectivity statistic against numpy (scripts/gpu/check_transport_loss.py).
 * Needs Debian's python3-torch and python3-scipy (.ci/run installs them); without them the test says so and is
 * skipped.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { phaseStatistics, readVolume, tortuosity } from '../../src/index.js';
import { twoPoint } from '../../src/trainer/stats.js';
import { PYTHON, pythonHas } from './python.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const hasTorch = pythonHas(['torch', 'scipy'], 'transport-loss.test: the training loss check');

describe('training connectivity term (scripts/gpu/transport_loss.py)', () => {
  it.skipIf(!hasTorch)('matches analytic cases, a direct solve, finite differences and the SDK tortuosity solver', async () => {
    const v = await readVolume(join(ROOT, 'data', 'berea_crop48.tif'));
    const [, H, W] = v.shape, n = 24;
    const data = new Uint8Array(n ** 3);
    for (let z = 0; z < n; z++) for (let y = 0; y < n; y++) data.set(v.data.subarray((z * H + y) * W + 8, (z * H + y) * W + 8 + n), (z * n + y) * n);
    const t = await tortuosity({ shape: [n, n, n], data }, { phase: 0 });
    for (const a of ['x', 'y', 'z'] as const) expect(t[a].percolates).toBe(true); // a case where the solver has work to do
    const { faceCount } = (await phaseStatistics({ shape: [n, n, n], data, labels: v.labels }, 0, { statistics: ['surfaceArea'] })).surfaceArea!;
    const dir = mkdtempSync(join(tmpdir(), 'tl-'));
    try {
      const file = join(dir, 'sdk.json');
      writeFileSync(file, JSON.stringify({ shape: [n, n, n], data: [...data], eps: 1e-7, tol: 1e-3, diffusivity: [t.z.relativeDiffusivity, t.y.relativeDiffusivity, t.x.relativeDiffusivity], s2: ([0, 1, 2] as const).map((ax) => twoPoint(data, [n, n, n], 0, ax, 10)), surface: faceCount }));
      const r = spawnSync(PYTHON, [join(ROOT, 'scripts', 'gpu', 'check_transport_loss.py'), '--sdk', file], { encoding: 'utf8' });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      const res = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(res.pass).toBe(true);
      expect(res.sdk).toBeLessThan(1e-3);
      expect(res.gradient).toBeLessThan(1e-6);
      expect(res.s2Sdk).toBeLessThan(1e-9); // the correlation term counts the pairs the SDK counts
      expect(res.s2Self).toBeLessThan(1e-9);
      expect(res.s2Gradient).toBeLessThan(1e-6);
      expect(res.surfaceSdk).toBeLessThan(1e-9); // --surface-weight's area of labels is the SDK's face count
      expect(res.depthCount).toBeLessThan(1e-9); // --depth-weight: changed voxels per slice of labels
      expect(res.depthLoss).toBeLessThan(1e-9);
      expect(res.depthGradient).toBeLessThan(1e-6);
      expect(res.quantileNumpy).toBeLessThan(1e-9); // --conn-statistic quantile: numpy's 'hazen' quantiles
      expect(res.quantileSelf).toBeLessThan(1e-12);
      expect(res.quantileGradient).toBeLessThan(1e-6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
