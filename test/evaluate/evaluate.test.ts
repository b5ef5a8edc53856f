/**
 * evaluate(): the report's structure (JSON Schema), its contracts (S2(0) = volume fraction, tortuosity fields,
 * JSON safety), comparison with a reference, 2D input, progress and cancellation.
 */
import { describe, expect, it } from 'vitest';
import { AbortError, InvalidArgumentError } from '../../src/core/errors.js';
import { evaluate, METRICS_2D, REPORT_SCHEMA_VERSION, type PhaseReport, type Report } from '../../src/evaluate/index.js';
import { nonFinitePaths } from '../../src/evaluate/json-safe.js';
import { readVolume } from '../../src/io/index.js';
import { DATA, berea48, expectValidReport, synthetic } from './helpers.js';

const SPACING = 5.345e-6; // the Berea scan's voxel, metres

/** The contract check's way of finding a phase: an array with label fields or an object keyed by label. */
function phaseOf(r: Report, label: number): PhaseReport {
  const phases = r.phases as unknown;
  return (Array.isArray(phases) ? phases.find((p: PhaseReport) => p.label === label) : (phases as Record<string, PhaseReport>)[String(label)])!;
}

describe('evaluate on the 48^3 Berea crop', () => {
  let report: Report;
  const stages: [number, string][] = [];

  it('produces a schema-valid report with every default metric', async () => {
    const vol = await berea48();
    report = await evaluate(vol, { spacing: SPACING, onProgress: (f, s) => stages.push([f, s]) });
    expectValidReport(report);
    expect(report.schemaVersion).toBe(REPORT_SCHEMA_VERSION);
    expect(report.meta.shape).toEqual([48, 48, 48]);
    expect(report.meta.dimensions).toBe(3);
    expect(report.meta.metrics).not.toContain('permeability');
    expect(report.phases.map((p) => [p.label, p.fileValue])).toEqual([[0, 0], [1, 255]]);
    for (const p of report.phases) {
      for (const key of ['twoPointCorrelation', 'linealPath', 'chordLength', 'surfaceArea', 'connectivity', 'poreSizeDistribution', 'tortuosity', 'anisotropy']) {
        expect(p, key).toHaveProperty(key);
      }
      expect(p.permeability).toBeUndefined();
      expect(p.surfaceArea!.marchingCubesCorrectedPerMetre).toBeCloseTo(p.surfaceArea!.marchingCubesCorrected / SPACING, 6);
    }
    const m = report.meta.methods;
    expect(m.chordLength).toMatch(/excluded/);
    expect(m.poreSizeDistribution).toMatch(/local thickness/);
    expect(m.tortuosity).toMatch(/TauFactor/);
    expect(m.anisotropy).toMatch(/isotropic = DA < 0.1/);
    expect(m.surfaceArea).toMatch(/1\.08799/);
  });

  it('meets the contract: S2(0) = volume fraction exactly, tortuosity x defined, porosity 0.1666', () => {
    const pore = phaseOf(report, 0);
    expect(pore.volumeFraction).toBeCloseTo(0.1666, 3);
    for (const p of report.phases) {
      for (const a of ['x', 'y', 'z'] as const) expect(Math.abs(p.twoPointCorrelation![a]![0]! - p.volumeFraction)).toBeLessThanOrEqual(1e-12);
      expect(p.twoPointCorrelation!.radial!.values[0]).toBe(p.volumeFraction);
      expect(p.linealPath!.x![0]).toBe(p.volumeFraction);
    }
    const t = pore.tortuosity!.x!;
    expect(t.tortuosityFactor).toBeDefined();
    expect(t.relativeDiffusivity).toBeDefined();
    expect(t.percolates).toBe(true);
    expect(t.tortuosityFactor!).toBeCloseTo(pore.volumeFraction / t.relativeDiffusivity, 10);
    expect(t.tortuosityFactor!).toBeGreaterThan(1);
  });

  it('is JSON-safe: no NaN or Infinity, survives a JSON round trip unchanged', () => {
    expect(nonFinitePaths(report)).toEqual([]);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('reports progress in [0, 1], never decreasing, ending at 1', () => {
    expect(stages.length).toBeGreaterThan(3);
    for (let i = 1; i < stages.length; ++i) expect(stages[i]![0]).toBeGreaterThanOrEqual(stages[i - 1]![0]);
    expect(stages[0]![0]).toBeGreaterThanOrEqual(0);
    expect(stages.at(-1)![0]).toBe(1);
    expect(new Set(stages.map((s) => s[1]))).toContain('tortuosity (phase 0)');
  });
});

describe('evaluate against a reference', () => {
  it('a volume against itself: zero differences, SSIM 1, PSNR null', async () => {
    const vol = await berea48();
    const copy = { ...vol, data: vol.data.slice() };
    const r = await evaluate(vol, { reference: copy, metrics: ['twoPointCorrelation', 'surfaceArea', 'tortuosity', 'chordLength'] });
    expectValidReport(r);
    const c = r.comparison!;
    expect(c.ssim).toBe(1);
    expect(c.ssimUniform).toBe(1);
    expect(c.mse).toBe(0);
    expect(c.psnr).toBeNull();
    for (const p of c.phases) {
      expect(p.presentInReference).toBe(true);
      expect(p.volumeFraction.relativeError).toBe(0);
      expect(p.twoPointCorrelationRmse).toEqual({ x: 0, y: 0, z: 0, radial: 0 });
      expect(p.surfaceArea!.faceCount.relativeError).toBe(0);
      expect(p.surfaceArea!.marchingCubesCorrected.relativeError).toBe(0);
      for (const a of ['x', 'y', 'z'] as const) {
        expect(p.tortuosityFactor![a]!.relativeError).toBe(0);
        expect(p.chordLengthMean![a]!.difference).toBe(0);
      }
    }
    expect(r.reference!.phases).toHaveLength(2);
  });

  it('a different volume: finite differences and PSNR', async () => {
    const vol = await berea48();
    // The crop mirrored along x: the same statistics (mirror-invariant), different voxels.
    const flipped = synthetic([48, 48, 48], (z, y, x) => vol.data[(z * 48 + y) * 48 + (47 - x)]!, vol.labels);
    const r = await evaluate(vol, { reference: flipped, metrics: ['twoPointCorrelation'] });
    expectValidReport(r);
    expect(r.comparison!.ssim!).toBeLessThan(0.9);
    expect(r.comparison!.psnr!).toBeGreaterThan(0);
    expect(r.comparison!.phases[0]!.volumeFraction.relativeError).toBe(0);
  });

  it('aligns reference phases by file value and reports phases absent from the reference', async () => {
    const vol = synthetic([12, 12, 12], (_z, _y, x) => (x < 6 ? 0 : 1), [0, 255]);
    const allGrain = synthetic([12, 12, 12], () => 0, [255]); // its phase 0 is file value 255
    const r = await evaluate(vol, { reference: allGrain, metrics: ['surfaceArea', 'tortuosity'] });
    expectValidReport(r);
    expect(r.reference!.labelMapping).toEqual([{ from: 0, to: 1 }]);
    const [pore, grain] = r.reference!.phases;
    expect(pore).toMatchObject({ label: 0, absent: true, volumeFraction: 0 });
    expect(grain).toMatchObject({ label: 1, fileValue: 255, volumeFraction: 1 });
    expect(r.comparison!.phases[0]!.presentInReference).toBe(false);
    expect(r.comparison!.phases[0]!.volumeFraction.relativeError).toBeNull();
    expect(r.comparison!.phases[1]!.volumeFraction.relativeError).toBeCloseTo(-0.5, 12);
  });

  it('refuses a reference of another shape', async () => {
    const vol = await berea48();
    await expect(evaluate(vol, { reference: synthetic([48, 48, 47], () => 0) })).rejects.toThrow(/reference shape \[48, 48, 47\] differs/);
  });
});

describe('2D input', () => {
  it('a 2D image reports the 2D metrics only', async () => {
    const img = await readVolume(DATA('berea_slice64.png'));
    expect(img.shape).toEqual([1, 64, 64]);
    const r = await evaluate(img, { reference: img });
    expectValidReport(r);
    expect(r.meta.dimensions).toBe(2);
    expect(r.meta.plane).toBe('xy');
    expect(r.meta.metrics).toEqual([...METRICS_2D]);
    for (const p of r.phases) {
      expect(p.twoPointCorrelation!.z).toBeNull();
      expect(p.twoPointCorrelation!.x![0]).toBe(p.volumeFraction);
      expect(p.chordLength!.z).toBeNull();
      expect(p.surfaceArea!.unit).toBe('pixel^-1');
      expect(p.anisotropy!.principalDirections).toHaveLength(2);
      expect(p.tortuosity).toBeUndefined();
      expect(p.connectivity).toBeUndefined();
      expect(p.poreSizeDistribution).toBeUndefined();
    }
    expect(r.comparison!.ssim).toBe(1);
    expect(r.comparison!.psnr).toBeNull();
  });

  it("refuses 3D-only metrics for a 2D image, but 'all' means all that apply", async () => {
    const img = await readVolume(DATA('berea_slice64.png'));
    await expect(evaluate(img, { metrics: ['tortuosity'] })).rejects.toThrow(/3D material/);
    const r = await evaluate(img, { metrics: ['all'] });
    expect(r.meta.metrics).toEqual([...METRICS_2D]);
  });

  it('a volume one voxel thick is the 2D image of its plane, reported under the original axis names', async () => {
    // Stripes along z, constant along y: in the yz plane (x = 1).
    const vol = synthetic([20, 16, 1], (z) => (z % 4 < 2 ? 0 : 1));
    const r = await evaluate(vol, { metrics: ['twoPointCorrelation', 'chordLength', 'anisotropy'] });
    expectValidReport(r);
    expect(r.meta).toMatchObject({ dimensions: 2, plane: 'yz', shape: [20, 16, 1] });
    const p = r.phases[0]!;
    expect(p.twoPointCorrelation!.x).toBeNull();
    expect(p.twoPointCorrelation!.y!.every((v) => v === 0.5)).toBe(true); // constant along y
    expect(p.twoPointCorrelation!.z![2]).toBe(0); // period 4 along z
    expect(p.chordLength!.z!.mean).toBe(2);
    for (const d of p.anisotropy!.principalDirections) expect(d.x).toBe(0);
  });
});

describe('well-defined values for degenerate input', () => {
  it('all one phase: tortuosity 1, no surface, pore size null, no NaN', async () => {
    const vol = synthetic([12, 12, 12], () => 0);
    const r = await evaluate(vol, { reference: vol });
    expectValidReport(r);
    const p = r.phases[0]!;
    expect(p.volumeFraction).toBe(1);
    expect(p.surfaceArea!.faceCount).toBe(0);
    expect(p.poreSizeDistribution).toBeNull();
    expect(p.anisotropy!.degree).toBeNull();
    expect(p.anisotropy!.isotropic).toBeNull();
    expect(p.chordLength!.x!.mean).toBeNull();
    expect(p.tortuosity!.x!.tortuosityFactor!).toBeCloseTo(1, 9);
    expect(r.comparison!.psnr).toBeNull();
    expect(r.comparison!.phases[0]!.surfaceArea!.faceCount.relativeError).toBe(0);
    expect(nonFinitePaths(r)).toEqual([]);
  });

  it('a phase that does not percolate: relativeDiffusivity 0, tortuosityFactor null', async () => {
    // Phase 1 = a slab normal to x: percolates along y and z, not along x.
    const vol = synthetic([12, 12, 12], (_z, _y, x) => (x === 5 || x === 6 ? 1 : 0));
    const r = await evaluate(vol, { phases: [1], metrics: ['tortuosity'] });
    const t = r.phases[0]!.tortuosity!;
    expect(t.x).toMatchObject({ percolates: false, relativeDiffusivity: 0, tortuosityFactor: null, formationFactor: null });
    expect(t.y!.tortuosityFactor!).toBeCloseTo(1, 9);
  });

  it('volumes too small for the SSIM window: ssim null, MSE and PSNR still given', async () => {
    const a = synthetic([6, 6, 6], (z, y, x) => (x + y + z) % 2);
    const b = synthetic([6, 6, 6], (z, y, x) => (x + y + z + (x === 0 ? 1 : 0)) % 2);
    const r = await evaluate(a, { reference: b, metrics: ['twoPointCorrelation'] });
    expectValidReport(r);
    expect(r.comparison!.ssim).toBeNull();
    expect(r.comparison!.ssimUniform).toBeNull();
    expect(r.comparison!.mse).toBeCloseTo(36 / 216, 12);
    expect(r.comparison!.psnr!).toBeCloseTo(10 * Math.log10(216 / 36), 9);
  });

  it('permeability only when asked, in voxel^2, m^2 and mD', async () => {
    // Straight square channels 4 voxels wide along z: percolating along z only.
    const vol = synthetic([10, 12, 12], (_z, y, x) => (x >= 4 && x < 8 && y >= 4 && y < 8 ? 0 : 1));
    const r = await evaluate(vol, { phases: [0], metrics: ['permeability', 'tortuosity'], spacing: 1e-6 });
    expectValidReport(r);
    const k = r.phases[0]!.permeability!;
    expect(k.x).toMatchObject({ percolates: false, permeability: 0 });
    expect(k.z!.permeability).toBeGreaterThan(0);
    expect(k.z!.permeabilityM2!).toBeCloseTo(k.z!.permeability * 1e-12, 20);
    expect(k.z!.permeabilityMilliDarcy!).toBeCloseTo(k.z!.permeabilityM2! / 9.869233e-16, 6);
    expect(r.phases[0]!.tortuosity!.z!.tortuosityFactor!).toBeCloseTo(1, 6);
  });
});

describe('bad input: typed errors', () => {
  const vol = synthetic([8, 8, 8], (_z, _y, x) => x % 2);
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ['empty volume', () => evaluate({ shape: [0, 8, 8], data: new Uint8Array(0) }), /empty/],
    ['a line', () => evaluate(synthetic([1, 1, 16], (_z, _y, x) => x % 2)), /fewer than two axes/],
    ['a single voxel', () => evaluate(synthetic([1, 1, 1], () => 0)), /fewer than two axes/],
    ['data of the wrong length', () => evaluate({ shape: [8, 8, 8], data: new Uint8Array(10) }), /needs 512/],
    ['a phase that does not exist', () => evaluate(vol, { phases: [7] }), /phase 7 does not occur.*phases present: 0, 1/],
    ['a non-integer phase', () => evaluate(vol, { phases: [0.5] }), /integer phase index/],
    ['a file value given as a phase', () => evaluate({ ...vol, labels: [0, 255] }, { phases: [255] }), /255 is the file value of phase 1/],
    ['non-integer labels (float data)', () => evaluate({ shape: [8, 8, 8], data: new Float32Array(512) as never }), /Uint8Array of phase labels/],
    ['unknown metric', () => evaluate(vol, { metrics: ['twoPoint', 'magic'] }), /unknown metric 'magic'/],
    ['NaN spacing', () => evaluate(vol, { spacing: Number.NaN }), /spacing must be positive and finite/],
    ['negative spacing', () => evaluate(vol, { spacing: -1 }), /spacing must be positive/],
    ['non-cubic spacing', () => evaluate(vol, { spacing: [1e-6, 1e-6, 2e-6] }), /cubic voxels/],
    ['labels with NaN', () => evaluate({ ...vol, labels: [0, Number.NaN] }), /labels must be an array of finite numbers/],
    ['options not an object', () => evaluate(vol, 5 as never), /options must be an object/],
  ];
  for (const [name, run, message] of cases) {
    it(name, async () => {
      const err = await run().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).code).toBe('ERR_INVALID_ARGUMENT');
      expect((err as Error).message).toMatch(message);
    });
  }
});

describe('off the event loop', () => {
  it('timers keep firing while the native stages run', async () => {
    let ticks = 0;
    const timer = setInterval(() => ++ticks, 5);
    try {
      await evaluate(await berea48(), { metrics: ['twoPointCorrelation', 'tortuosity'] });
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(2);
  });
});

describe('cancellation', () => {
  it('an aborted signal rejects with AbortError before any work', async () => {
    const c = new AbortController();
    c.abort();
    await expect(evaluate(await berea48(), { signal: c.signal })).rejects.toBeInstanceOf(AbortError);
  });

  it('aborting mid-run stops the native work with AbortError', async () => {
    const c = new AbortController();
    const run = evaluate(await berea48(), {
      signal: c.signal,
      onProgress: (f) => {
        if (f > 0.1) c.abort();
      },
    });
    const err = await run.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as AbortError).code).toBe('ERR_ABORTED');
  });

  it('a throwing progress callback stops the run and its error comes back', async () => {
    const boom = new Error('boom');
    await expect(evaluate(await berea48(), { onProgress: () => { throw boom; } })).rejects.toBe(boom);
  });
});
