#!/usr/bin/env node
// S2 of the 400^3 Berea sandstone (pore phase): microrecon's native statistics against numpy's FFT in the same
// run. Both sides compute the same two quantities:
//   - directional S2 along x, y, z for lags 0..100 (ours: exact bit-packed pair counts; numpy: zero-padded rfft
//     along each axis, |F|^2, irfft, divided by the pair counts);
//   - radially averaged S2 for |d| <= 200 (both: zero-padded FFT autocorrelation to n + 200 per axis, counts
//     rounded, binned by round(|d|), divided by the pairs in each bin).
// Prints one JSON object: wall and CPU seconds of each side, ratios (numpy / ours) and the largest difference.
// Usage: node bench/stats.mjs [path/to/berea.tif]   (needs the addon: npm run build:native; /usr/bin/python3 with numpy)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode } from 'tiff';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tif = process.argv[2] ?? join(root, '..', 'shared', 'data', 'berea', 'berea.tif');
const python = process.env.PYTHON ?? '/usr/bin/python3';
const addon = createRequire(import.meta.url)(process.env.MICRORECON_ADDON ?? join(root, 'build', 'Release', 'microrecon.node'));

// Pore phase (value 0) as label 0, grain as 1.
const pages = decode(readFileSync(tif));
const [ny, nx, nz] = [pages[0].height, pages[0].width, pages.length];
const labels = new Uint8Array(nz * ny * nx);
pages.forEach((p, z) => {
  for (let i = 0; i < ny * nx; ++i) labels[z * ny * nx + i] = p.data[i] === 0 ? 0 : 1;
});
const shape = [nz, ny, nx];
const R = Math.floor(Math.min(nz, ny, nx) / 2);
const LAG = 100;

async function timed(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await fn();
  const cpu = process.cpuUsage(c0);
  return { out, wall: (performance.now() - t0) / 1e3, cpu: (cpu.user + cpu.system) / 1e6 };
}
const opts = (metrics) => ({ metrics, maxLag: [LAG, LAG, LAG], radialMaxLag: R, directions: 0 });
await addon.phaseStatistics(labels.subarray(0, 8 * 8 * 8), [8, 8, 8], 0, opts(1)).catch(() => {}); // warm the pool
const directional = await timed(() => addon.phaseStatistics(labels, shape, 0, opts(1)));
const radial = await timed(() => addon.phaseStatistics(labels, shape, 0, opts(2)));

// numpy, same data through a raw file.
const dir = mkdtempSync(join(tmpdir(), 'mr-bench-'));
const raw = join(dir, 'berea.raw');
writeFileSync(raw, labels);
const script = `
import json, sys, time
import numpy as np
nz, ny, nx, R, LAG = ${nz}, ${ny}, ${nx}, ${R}, ${LAG}
f = (np.fromfile(sys.argv[1], dtype=np.uint8).reshape(nz, ny, nx) == 0).astype(np.float64)
out = {}
w0, c0 = time.perf_counter(), time.process_time()
s2 = {}
for name, axis in (('x', 2), ('y', 1), ('z', 0)):
    n = f.shape[axis]; m = n + LAG
    F = np.fft.rfft(f, n=m, axis=axis)
    c = np.fft.irfft(F.real**2 + F.imag**2, n=m, axis=axis)
    c = np.moveaxis(c, axis, -1).sum(axis=(0, 1))[:LAG + 1]
    s2[name] = (np.rint(c) / ((f.size // n) * (n - np.arange(LAG + 1)))).tolist()
out['directional'] = {'wall': time.perf_counter() - w0, 'cpu': time.process_time() - c0, 's2': s2}
w0, c0 = time.perf_counter(), time.process_time()
s = [nz + R, ny + R, nx + R]
F = np.fft.rfftn(f, s=s)
P = F.real**2 + F.imag**2
del F
C = np.fft.irfftn(P, s=s)
del P
w1, c1 = time.perf_counter(), time.process_time()
idx = [np.r_[0:R + 1, n + R - R:n + R] for n in (nz, ny, nx)]
C = np.rint(C[np.ix_(*idx)]).astype(np.int64)
lag = [np.r_[0:R + 1, -R:0] for n in (nz, ny, nx)]
dz, dy, dx = np.meshgrid(*lag, indexing='ij', sparse=True)
d2 = dz * dz + dy * dy + dx * dx
b = np.floor(np.sqrt(d2) + 0.5).astype(np.int64)
pairs = (nz - np.abs(dz)) * (ny - np.abs(dy)) * (nx - np.abs(dx))
keep = b <= R
num = np.bincount(b[keep], weights=C[keep], minlength=R + 1)
den = np.bincount(b[keep], weights=np.broadcast_to(pairs, b.shape)[keep], minlength=R + 1)
out['radial'] = {'wall': time.perf_counter() - w0, 'cpu': time.process_time() - c0,
                 'fft_wall': w1 - w0, 'values': (num / den).tolist()}
json.dump(out, sys.stdout)
`;
const py = spawnSync(python, ['-c', script, raw], { encoding: 'utf8', maxBuffer: 1 << 26 });
rmSync(dir, { recursive: true, force: true });
if (py.status !== 0) {
  console.error(py.stderr);
  process.exit(1);
}
const np = JSON.parse(py.stdout);

const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const ours = directional.out.twoPoint;
const round = (x) => Math.round(x * 1000) / 1000;
console.log(
  JSON.stringify(
    {
      bench: 'S2 of berea.tif (pore phase), 400^3',
      machine: { cpus: cpus().length, threads: addon.info().threads, isa: addon.info().isa },
      directional: {
        lags: LAG,
        microrecon: { wall_s: round(directional.wall), cpu_s: round(directional.cpu), method: 'exact bit-packed pair counts' },
        numpy: { wall_s: round(np.directional.wall), cpu_s: round(np.directional.cpu), method: 'zero-padded rfft per axis' },
        speedup_wall: round(np.directional.wall / directional.wall),
        speedup_cpu: round(np.directional.cpu / directional.cpu),
        max_abs_diff: Math.max(maxDiff(ours[0], np.directional.s2.x), maxDiff(ours[1], np.directional.s2.y), maxDiff(ours[2], np.directional.s2.z)),
      },
      radial: {
        max_r: R,
        microrecon: { wall_s: round(radial.wall), cpu_s: round(radial.cpu), method: 'zero-padded FFT (tiled, cropped)' },
        numpy: { wall_s: round(np.radial.wall), cpu_s: round(np.radial.cpu), fft_only_wall_s: round(np.radial.fft_wall), method: 'rfftn/irfftn padded to n + R, bincount' },
        speedup_wall: round(np.radial.wall / radial.wall),
        speedup_cpu: round(np.radial.cpu / radial.cpu),
        max_abs_diff: maxDiff(Array.from(radial.out.radial.values), np.radial.values),
      },
    },
    null,
    2,
  ),
);
