/**
 * The HTML report: one self-contained file (no network access when opened): orthogonal mid slices of the volume
 * and the reference as PNG data URLs, S2 / chord-length / pore-size curves of both overlaid (Chart.js, MIT,
 * embedded inline from the installed package), a table of the headline numbers, the conventions, and the whole
 * JSON report in a <script type="application/json" id="microrecon-report"> element.
 */
import { InvalidArgumentError, NotSupportedError } from '../core/errors.js';
import { prepareVolume } from './input.js';
import { midSlices, phaseColour, type SliceImage } from './slices.js';
import { formatPercent, formatValue, summaryRows } from './summary.js';
import type { EvaluateVolume, Report } from './types.js';

export interface HtmlReportOptions {
  /** Page title (default 'microrecon evaluation'). */
  title?: string;
  /** Names shown for the two volumes (e.g. file names). */
  volumeName?: string;
  referenceName?: string;
  /** Chart.js UMD source to embed instead of reading it from the installed package (e.g. in a browser). */
  chartJsSource?: string;
}

let chartJsCache: string | undefined;

/** The minified Chart.js UMD bundle of the installed `chart.js` package (its MIT licence banner included). */
function chartJsSource(): string {
  if (chartJsCache) return chartJsCache;
  const getBuiltin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  if (typeof getBuiltin !== 'function') {
    throw new NotSupportedError('renderHtmlReport reads Chart.js from node_modules in Node.js; elsewhere pass options.chartJsSource');
  }
  const { createRequire } = getBuiltin('node:module') as typeof import('node:module');
  const { readFileSync } = getBuiltin('node:fs') as typeof import('node:fs');
  const { dirname, join } = getBuiltin('node:path') as typeof import('node:path');
  const here = (import.meta as { url?: string }).url ?? `file://${typeof __filename === 'string' ? __filename : process.cwd() + '/'}`;
  try {
    const main = createRequire(here).resolve('chart.js');
    chartJsCache = readFileSync(join(dirname(main), 'chart.umd.min.js'), 'utf8');
  } catch (err) {
    throw new NotSupportedError(`renderHtmlReport needs the chart.js package (npm install chart.js): ${(err as Error).message}`);
  }
  return chartJsCache;
}

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JSON inside a <script> element: no '<' (so no '</script>'), and the line separators escaped. */
const scriptJson = (v: unknown): string =>
  JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

function checkReport(report: unknown): Report {
  const r = report as Partial<Report> | null;
  if (!r || typeof r !== 'object' || typeof r.schemaVersion !== 'string' || !r.meta || !Array.isArray(r.phases)) {
    throw new InvalidArgumentError('renderHtmlReport needs a report from evaluate()');
  }
  return r as Report;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

function sliceFigures(title: string, slices: SliceImage[]): string {
  // Small slices are scaled up (nearest neighbour) to about 240 px on their longer side.
  const figs = slices.map((s) => {
    const scale = Math.max(1, Math.floor(240 / Math.max(s.width, s.height)));
    return `<figure><img src="${s.dataUrl}" width="${s.width * scale}" height="${s.height * scale}" alt="${escapeHtml(s.title)}"><figcaption>${escapeHtml(s.title)}</figcaption></figure>`;
  });
  return `<div class="slices"><h3>${escapeHtml(title)}</h3><div class="row">${figs.join('')}</div></div>`;
}

function numbersTable(report: Report): string {
  const rows = summaryRows(report);
  const ref = report.comparison !== undefined;
  const phaseHead = report.phases
    .map((p) => {
      const name = `phase ${p.label}${p.fileValue === null ? '' : ` (file value ${p.fileValue})`}`;
      return `<th colspan="${ref ? 3 : 1}">${escapeHtml(name)}</th>`;
    })
    .join('');
  const sub = ref ? `<tr><th></th>${report.phases.map(() => '<th>volume</th><th>reference</th><th>rel. error</th>').join('')}</tr>` : '';
  const body = rows
    .map((r) => {
      const cells = r.values
        .map((v, i) => {
          const own = `<td>${escapeHtml(formatValue(v))}</td>`;
          if (!ref) return own;
          return `${own}<td>${escapeHtml(formatValue(r.references?.[i]))}</td><td>${escapeHtml(formatPercent(r.relativeErrors?.[i]))}</td>`;
        })
        .join('');
      return `<tr><th>${escapeHtml(r.name)}${r.unit ? ` <span class="unit">[${escapeHtml(r.unit)}]</span>` : ''}</th>${cells}</tr>`;
    })
    .join('\n');
  return `<table class="numbers"><thead><tr><th>metric</th>${phaseHead}</tr>${sub}</thead><tbody>\n${body}\n</tbody></table>`;
}

function comparisonBlock(report: Report): string {
  const c = report.comparison;
  if (!c) return '';
  const rmse = c.phases
    .map((p) => {
      const s = p.twoPointCorrelationRmse;
      if (!s) return '';
      return `<tr><th>S2 RMSE, phase ${p.label}</th><td>x ${formatValue(s.x)}</td><td>y ${formatValue(s.y)}</td><td>z ${formatValue(s.z)}</td><td>radial ${formatValue(s.radial)}</td></tr>`;
    })
    .join('');
  return `<h2>Similarity to the reference</h2>
<table class="numbers"><tbody>
<tr><th>SSIM (3D Gaussian window, σ = 1.5)</th><td colspan="4">${formatValue(c.ssim)}</td></tr>
<tr><th>SSIM (7-voxel uniform window)</th><td colspan="4">${formatValue(c.ssimUniform)}</td></tr>
<tr><th>PSNR [dB]</th><td colspan="4">${c.psnr === null ? '- (identical volumes)' : formatValue(c.psnr)}</td></tr>
<tr><th>MSE (labels scaled to 0..1)</th><td colspan="4">${formatValue(c.mse)}</td></tr>
${rmse}
</tbody></table>`;
}

function legend(report: Report): string {
  return report.meta.phasesPresent
    .map((p) => {
      const [r, g, b] = phaseColour(p.label);
      const name = `phase ${p.label}${p.fileValue === null ? '' : ` (file value ${p.fileValue})`}`;
      return `<span class="key"><span class="swatch" style="background:rgb(${r},${g},${b})"></span>${escapeHtml(name)}</span>`;
    })
    .join(' ');
}

function chartSlots(report: Report): string {
  return report.phases
    .map((p) => {
      const slots = [
        p.twoPointCorrelation ? `<div class="chart"><canvas id="s2-${p.label}"></canvas></div>` : '',
        p.chordLength ? `<div class="chart"><canvas id="chord-${p.label}"></canvas></div>` : '',
        p.poreSizeDistribution ? `<div class="chart"><canvas id="pore-${p.label}"></canvas></div>` : '',
      ].join('');
      return slots ? `<h3>Phase ${p.label}${p.fileValue === null ? '' : ` (file value ${p.fileValue})`}</h3><div class="charts">${slots}</div>` : '';
    })
    .join('\n');
}

/** Draws the charts from the embedded report (runs in the page). Solid: the volume; dashed: the reference. */
const PAGE_SCRIPT = String.raw`(function () {
  var report = JSON.parse(document.getElementById('microrecon-report').textContent);
  var AX = ['x', 'y', 'z'];
  var COLOUR = { x: '#1f77b4', y: '#d62728', z: '#2ca02c', radial: '#555555' };
  function points(a) { return a.map(function (v, i) { return { x: i, y: v }; }); }
  function normalise(a) {
    var s = 0; a.forEach(function (v) { s += v; });
    return a.map(function (v) { return s > 0 ? v / s : 0; });
  }
  function line(label, data, colour, dashed, stepped) {
    return { label: label, data: points(data), borderColor: colour, backgroundColor: colour, borderWidth: 1.5,
             borderDash: dashed ? [6, 4] : [], pointRadius: 0, stepped: stepped ? 'middle' : false };
  }
  function draw(id, title, xTitle, yTitle, datasets) {
    var el = document.getElementById(id);
    if (!el || datasets.length === 0) return;
    new Chart(el, { type: 'line', data: { datasets: datasets }, options: {
      animation: false, parsing: false, responsive: true, maintainAspectRatio: false,
      interaction: { mode: 'nearest', intersect: false },
      plugins: { title: { display: true, text: title }, legend: { labels: { boxWidth: 14 } } },
      scales: { x: { type: 'linear', title: { display: true, text: xTitle } }, y: { title: { display: true, text: yTitle } } } } });
  }
  var refs = report.reference ? report.reference.phases : [];
  report.phases.forEach(function (p, i) {
    var r = refs[i] && !refs[i].absent ? refs[i] : null;
    var both = [[p, false, ''], [r, true, ' (reference)']];
    var s2 = [], chord = [], pore = [];
    both.forEach(function (t) {
      var q = t[0], dashed = t[1], tag = t[2];
      if (!q) return;
      AX.forEach(function (a) {
        if (q.twoPointCorrelation && q.twoPointCorrelation[a]) s2.push(line(a + tag, q.twoPointCorrelation[a], COLOUR[a], dashed));
        if (q.chordLength && q.chordLength[a] && q.chordLength[a].total > 0)
          chord.push(line(a + tag, normalise(q.chordLength[a].counts), COLOUR[a], dashed, true));
      });
      if (q.twoPointCorrelation && q.twoPointCorrelation.radial)
        s2.push(line('radial' + tag, q.twoPointCorrelation.radial.values, COLOUR.radial, dashed));
      if (q.poreSizeDistribution) pore.push(line('local thickness' + tag, normalise(q.poreSizeDistribution.histogram), dashed ? '#d62728' : '#1f77b4', dashed, true));
    });
    draw('s2-' + p.label, 'Two-point correlation S2, phase ' + p.label, 'lag r [voxels]', 'S2(r)', s2);
    draw('chord-' + p.label, 'Chord-length distribution, phase ' + p.label, 'chord length [voxels]', 'fraction of chords', chord);
    draw('pore-' + p.label, 'Pore size (local thickness), phase ' + p.label, 'diameter [voxels]', 'fraction of voxels', pore);
  });
})();`;

const STYLE = `body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1b1f24;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}h3{font-size:15px;margin:16px 0 6px}
.meta{color:#555}.row{display:flex;gap:16px;flex-wrap:wrap;align-items:flex-start}figure{margin:0}figcaption{text-align:center;color:#555;font-size:12px}
img{image-rendering:pixelated;border:1px solid #ccc}.key{margin-right:14px;white-space:nowrap}.swatch{display:inline-block;width:12px;height:12px;margin-right:5px;border:1px solid #888;vertical-align:-1px}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{position:relative;width:440px;height:300px}
table.numbers{border-collapse:collapse;font-variant-numeric:tabular-nums}table.numbers td,table.numbers th{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}
table.numbers th:first-child{text-align:left;font-weight:500}.unit{color:#777;font-weight:400}dl.methods dt{font-weight:600;margin-top:6px}dl.methods dd{margin-left:16px;color:#333}`;

/**
 * Renders the report as one self-contained HTML page. `volume` (and `reference`) are the volumes the report was
 * made from (same shape as report.meta.shape), used for the slice images.
 */
export function renderHtmlReport(
  report: Report,
  volume: EvaluateVolume,
  reference?: EvaluateVolume,
  options: HtmlReportOptions = {},
): string {
  const r = checkReport(report);
  const vol = prepareVolume(volume, 'volume');
  if (!sameShape(vol.shape, r.meta.shape)) {
    throw new InvalidArgumentError(`volume shape [${vol.shape.join(', ')}] differs from the report's [${r.meta.shape.join(', ')}]`);
  }
  const ref = reference === undefined ? undefined : prepareVolume(reference, 'reference');
  if (ref && !sameShape(ref.shape, r.meta.shape)) {
    throw new InvalidArgumentError(`reference shape [${ref.shape.join(', ')}] differs from the report's [${r.meta.shape.join(', ')}]`);
  }
  const chartJs = (options.chartJsSource ?? chartJsSource()).replace(/<\/script/gi, '<\\/script');
  const title = options.title ?? 'microrecon evaluation';
  const m = r.meta;
  const volName = options.volumeName ?? 'volume';
  const refName = options.referenceName ?? 'reference';
  const metaLine = [
    `${m.shape.join(' × ')} voxels (z, y, x), ${m.dimensions === 2 ? `2D image (${m.plane} plane)` : '3D'}`,
    m.spacing === null ? 'no spacing given (voxel units)' : `voxel ${formatValue(m.spacing)} m`,
    `microrecon ${m.microreconVersion}`,
    `${m.createdAt}`,
    `${m.durationSeconds.toFixed(2)} s on ${m.threads ?? '?'} threads`,
  ].join(' · ');
  const methods = Object.entries(m.methods)
    .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`)
    .join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${escapeHtml(metaLine)}<br>report schema ${escapeHtml(r.schemaVersion)}; ${escapeHtml(volName)}${ref ? ` vs ${escapeHtml(refName)}` : ''}</p>
<h2>Slices</h2>
<p>${legend(r)}</p>
<div class="row">${sliceFigures(volName, midSlices(vol))}${ref ? sliceFigures(refName, midSlices(ref)) : ''}</div>
<h2>Curves</h2>
<p class="meta">Solid: ${escapeHtml(volName)}${r.reference ? `; dashed: ${escapeHtml(refName)}` : ''}. Colours: x blue, y red, z green, radial grey.</p>
${chartSlots(r)}
<h2>Numbers</h2>
${numbersTable(r)}
${comparisonBlock(r)}
<h2>Conventions</h2>
<dl class="methods">${methods}</dl>
<script type="application/json" id="microrecon-report">${scriptJson(r)}</script>
<script>${chartJs}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
