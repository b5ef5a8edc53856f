/**
 * `microrecon evaluate` end to end through bin/microrecon.js on the built dist/ (`npm test` builds first; when
 * dist/cli.js is missing or older than any file under src/, it is rebuilt here).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper of the bench, no type declarations
import { isDistStale } from '../../bench/stale-dist.mjs';
import { writeVolume } from '../../src/io/index.js';
import { DATA, ROOT, expectValidReport, synthetic } from './helpers.js';

const run = promisify(execFile);
const BIN = join(ROOT, 'bin', 'microrecon.js');

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: ROOT, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

let dir: string;

beforeAll(async () => {
  // `npm test` builds first; a bare `vitest run` after editing src/ would otherwise test the old CLI
  if (isDistStale(ROOT, 'cli.js')) {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'rollup', 'dist', 'bin', 'rollup'), '-c'], { cwd: ROOT, stdio: 'ignore' });
  }
  dir = mkdtempSync(join(tmpdir(), 'microrecon-evaluate-'));
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('microrecon evaluate', () => {
  it('writes the JSON and HTML reports and prints a summary table', async () => {
    const json = join(dir, 'out.json');
    const html = join(dir, 'report.html');
    const crop = DATA('berea_crop48.tif');
    const r = await cli('evaluate', crop, '--reference', crop, '--spacing', '5.345um', '--json', json, '--html', html);
    expect(r.stderr).toBe(''); // not a TTY: no progress bar
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/48 x 48 x 48 \(z, y, x\), 3D, voxel 5\.345e-6 m/);
    expect(r.stdout).toMatch(/tortuosity factor x\s+\d/);
    expect(r.stdout).toMatch(/SSIM 1 .*PSNR - \(identical\)/);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expectValidReport(report);
    const pore = Array.isArray(report.phases) ? report.phases.find((p: { label: number }) => p.label === 0) : report.phases['0'];
    expect(Math.abs(pore.twoPointCorrelation.x[0] - pore.volumeFraction)).toBeLessThanOrEqual(1e-12);
    expect(pore.tortuosity.x.tortuosityFactor).toBeGreaterThan(1);
    expect(pore.tortuosity.x.relativeDiffusivity).toBeGreaterThan(0);
    expect(report.meta.spacing).toBeCloseTo(5.345e-6, 15);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('id="microrecon-report"');
    expect(page).toMatch(/Chart\.js v4/);
    expect(page).not.toMatch(/(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i);
  });

  it('takes a 2D image, --phase and --metrics, and --json - prints only the JSON', async () => {
    const r = await cli('evaluate', DATA('berea_slice64.png'), '--phase', '0', '--metrics', 'twoPoint,chordLength', '--json', '-');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expectValidReport(report);
    expect(report.meta.dimensions).toBe(2);
    expect(report.meta.metrics).toEqual(['volumeFraction', 'twoPointCorrelation', 'chordLength']);
    expect(report.phases.map((p: { label: number }) => p.label)).toEqual([0]);
  });

  it('handles a volume that is all one phase', async () => {
    const file = join(dir, 'solid.tif');
    await writeVolume(file, synthetic([12, 12, 12], () => 0, [255]));
    const r = await cli('evaluate', file, '--json', join(dir, 'solid.json'));
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'solid.json'), 'utf8'));
    expectValidReport(report);
    expect(report.phases[0].poreSizeDistribution).toBeNull();
    expect(report.phases[0].tortuosity.x.tortuosityFactor).toBeCloseTo(1, 9);
  });

  const bad: [string, string[], RegExp][] = [
    ['a phase that does not exist', ['--phase', '7'], /phase 7 does not occur in the volume; phases present: 0 \(file value 0\), 1 \(file value 255\)/],
    ['a phase that is not an index', ['--phase', 'pore'], /--phase takes phase indices/],
    ['an unknown metric', ['--metrics', 'twoPoint,nonsense'], /unknown metric 'nonsense'/],
    ['NaN spacing', ['--spacing', 'NaN'], /--spacing must be a positive voxel size/],
    ['a spacing unit it does not know', ['--spacing', '5furlong'], /--spacing must be a positive voxel size/],
    ['a reference of another shape', ['--reference', DATA('berea_slice64.png')], /reference shape \[1, 64, 64\] differs from volume shape \[48, 48, 48\]/],
    ['an output folder that does not exist', ['--json', '/nonexistent-folder/out.json'], /cannot write \/nonexistent-folder\/out.json/],
  ];
  for (const [name, args, message] of bad) {
    it(`exits 1 with a typed message for ${name}`, async () => {
      const r = await cli('evaluate', DATA('berea_crop48.tif'), ...args);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toMatch(/^microrecon: .+ \[ERR_[A-Z_]+\]$/);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('[ERR_INVALID_ARGUMENT]');
    });
  }

  it('exits 1 for an empty or unreadable file', async () => {
    const file = join(dir, 'empty.tif');
    await import('node:fs/promises').then((fs) => fs.writeFile(file, new Uint8Array(0)));
    const r = await cli('evaluate', file);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^microrecon: .+ \[ERR_[A-Z_]+\]$/);
  });

  it('evaluates a volume one voxel thick as the 2D image of its plane', async () => {
    const file = join(dir, 'thin.tif');
    await writeVolume(file, synthetic([16, 1, 16], (z, _y, x) => ((x >> 2) + (z >> 2)) % 2));
    const r = await cli('evaluate', file, '--json', '-');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.meta).toMatchObject({ dimensions: 2, plane: 'xz' });
    expect(report.phases[0].twoPointCorrelation.y).toBeNull();
  });

  it('refuses a one-pixel line image with a typed error', async () => {
    const file = join(dir, 'line.png');
    await writeVolume(file, synthetic([1, 1, 16], (_z, _y, x) => x % 2));
    const r = await cli('evaluate', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/fewer than two axes longer than one voxel.*\[ERR_INVALID_ARGUMENT\]/);
  });
});
