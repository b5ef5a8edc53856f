/**
 * renderHtmlReport(): one self-contained page with the data, the slices, Chart.js inline and no external
 * resources; the page script builds the overlaid charts (run here against a stub Chart and document).
 */
import { runInNewContext } from 'node:vm';
import { decode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { evaluate, renderHtmlReport, type Report } from '../../src/evaluate/index.js';
import type { Volume } from '../../src/io/index.js';
import { berea48, synthetic } from './helpers.js';

/** Everything that would make a browser fetch something: src/href to a URL, CSS url(), @import, protocol-relative. */
const EXTERNAL = [
  /\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i,
  /url\(\s*["']?(?:https?:)?\/\//i,
  /@import/i,
  /<link\b/i,
  /<script\b[^>]*\bsrc\s*=/i,
  /<iframe\b/i,
  /\/\/cdn\./i,
  /\bfetch\(\s*["']https?:/i,
];

function scripts(html: string): string[] {
  return [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
}

interface ChartCall {
  id: string;
  config: { data: { datasets: { label: string; data: { x: number; y: number }[]; borderDash: number[] }[] } };
}

/** Runs the page's own script (the last <script>) with a stub Chart.js and document; returns the charts made. */
function runPageScript(html: string): ChartCall[] {
  const all = scripts(html);
  const json = html.match(/<script type="application\/json" id="microrecon-report">([\s\S]*?)<\/script>/)![1]!;
  const calls: ChartCall[] = [];
  const document = {
    getElementById: (id: string) => (id === 'microrecon-report' ? { textContent: json } : html.includes(`id="${id}"`) ? { id } : null),
  };
  function Chart(this: unknown, el: { id: string }, config: ChartCall['config']) {
    calls.push({ id: el.id, config });
  }
  runInNewContext(all.at(-1)!, { document, Chart, JSON });
  return calls;
}

describe('renderHtmlReport', () => {
  let vol: Volume;
  let ref: Volume;
  let report: Report;
  let html: string;

  beforeAll(async () => {
    vol = await berea48();
    ref = synthetic([48, 48, 48], (z, y, x) => vol.data[(z * 48 + y) * 48 + (47 - x)]!, vol.labels);
    report = await evaluate(vol, { reference: ref, spacing: 5.345e-6 });
    html = renderHtmlReport(report, vol, ref, { title: 'Berea <crop>', volumeName: 'berea_crop48.tif', referenceName: 'flipped' });
  });

  it('is one HTML document with the report data embedded', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<title>Berea &lt;crop&gt;</title>');
    const json = html.match(/<script type="application\/json" id="microrecon-report">([\s\S]*?)<\/script>/)![1]!;
    expect(JSON.parse(json)).toEqual(report);
    // The numbers table.
    expect(html).toContain('tortuosity factor x');
    expect(html).toContain(String(Number(report.phases[0]!.volumeFraction.toPrecision(4))));
  });

  it('embeds Chart.js (with its MIT banner) and loads nothing from outside', () => {
    expect(html).toMatch(/Chart\.js v4\.\d+\.\d+/);
    expect(html).toContain('Released under the MIT License');
    for (const re of EXTERNAL) expect(html, String(re)).not.toMatch(re);
    // Every <script> is inline and closes where it should (no '</script' inside the embedded code).
    expect(scripts(html)).toHaveLength(3);
  });

  it('shows orthogonal mid slices of both volumes as colour-mapped PNGs', () => {
    const urls = [...html.matchAll(/src="data:image\/png;base64,([A-Za-z0-9+/=]+)"/g)].map((m) => m[1]!);
    expect(urls).toHaveLength(6);
    const png = decode(Buffer.from(urls[0]!, 'base64'));
    expect([png.width, png.height]).toEqual([48, 48]);
    expect(png.palette?.length).toBe(2);
    // The xy slice at z = 24, pixel (y, x) = (0, 0), has the volume's phase there.
    expect(png.data[0]).toBe(vol.data[24 * 48 * 48]);
  });

  it('draws S2, chord-length and pore-size curves of the volume and the reference overlaid', () => {
    const charts = runPageScript(html);
    expect(charts.map((c) => c.id).sort()).toEqual(['chord-0', 'chord-1', 'pore-0', 'pore-1', 's2-0', 's2-1']);
    const s2 = charts.find((c) => c.id === 's2-0')!.config.data.datasets;
    expect(s2.map((d) => d.label)).toEqual(['x', 'y', 'z', 'radial', 'x (reference)', 'y (reference)', 'z (reference)', 'radial (reference)']);
    expect(s2[0]!.data[0]).toEqual({ x: 0, y: report.phases[0]!.volumeFraction });
    expect(s2[4]!.borderDash.length).toBeGreaterThan(0);
    const pore = charts.find((c) => c.id === 'pore-0')!.config.data.datasets;
    expect(pore.reduce((s, d) => s + d.data.reduce((t, p) => t + p.y, 0), 0)).toBeCloseTo(2, 9); // two normalised histograms
  });

  it('stays small: under 1 MB for a 64^3 volume with a reference', async () => {
    const big = synthetic([64, 64, 64], (z, y, x) => (Math.sin(x / 3) + Math.cos(y / 4) + Math.sin(z / 5) > 0.3 ? 1 : 0));
    const other = synthetic([64, 64, 64], (z, y, x) => (Math.sin(x / 4) + Math.cos(y / 3) + Math.sin(z / 5) > 0.3 ? 1 : 0));
    const r = await evaluate(big, { reference: other, metrics: ['twoPointCorrelation', 'chordLength', 'poreSizeDistribution', 'surfaceArea'] });
    const page = renderHtmlReport(r, big, other);
    expect(page.length).toBeLessThan(1_000_000);
  });

  it('renders 2D reports (one slice, no pore-size chart) and refuses a volume of another shape', async () => {
    const img = synthetic([1, 32, 32], (_z, y, x) => ((x >> 2) + (y >> 2)) % 2);
    const r = await evaluate(img);
    const page = renderHtmlReport(r, img);
    expect([...page.matchAll(/data:image\/png/g)]).toHaveLength(1);
    expect(runPageScript(page).map((c) => c.id).sort()).toEqual(['chord-0', 'chord-1', 's2-0', 's2-1']);
    expect(() => renderHtmlReport(r, synthetic([1, 32, 31], () => 0))).toThrow(InvalidArgumentError);
    expect(() => renderHtmlReport({} as Report, img)).toThrow(/needs a report/);
  });
});
