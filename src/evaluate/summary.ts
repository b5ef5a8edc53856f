/**
 * The report's headline numbers as rows (one value per phase, with the reference's and the relative error when
 * there is a reference), shared by the CLI's table and the HTML report's table; and a plain-text rendering.
 */
import type { Difference, PhaseComparison, PhaseReport, Report } from './types.js';

export type SummaryValue = number | boolean | string | null;

export interface SummaryRow {
  name: string;
  unit: string;
  /** One per phase of report.phases. */
  values: SummaryValue[];
  /** The reference's values (when the report has a reference). */
  references?: SummaryValue[];
  /** (volume - reference) / |reference| per phase; null where undefined. */
  relativeErrors?: (number | null)[];
}

type Get = (p: PhaseReport) => SummaryValue | undefined;
type Rel = (c: PhaseComparison) => Difference | null | undefined;
interface RowDef {
  name: string;
  unit: string;
  get: Get;
  rel?: Rel;
}

const AXES = ['x', 'y', 'z'] as const;

function rowDefs(report: Report): RowDef[] {
  const s = report.meta.spacing !== null;
  const d2 = report.meta.dimensions === 2;
  const per = d2 ? '1/pixel' : '1/voxel';
  const defs: RowDef[] = [
    { name: d2 ? 'area fraction' : 'volume fraction', unit: '', get: (p) => p.volumeFraction, rel: (c) => c.volumeFraction },
    { name: d2 ? 'perimeter, pixel edges' : 'surface, voxel faces', unit: per, get: (p) => p.surfaceArea?.faceCount, rel: (c) => c.surfaceArea?.faceCount },
    {
      name: d2 ? 'perimeter, marching squares corr.' : 'surface, marching cubes corr.',
      unit: per,
      get: (p) => p.surfaceArea?.marchingCubesCorrected,
      rel: (c) => c.surfaceArea?.marchingCubesCorrected,
    },
  ];
  if (s) {
    defs.push({
      name: 'specific surface (MC corr.)',
      unit: '1/m',
      get: (p) => p.surfaceArea?.marchingCubesCorrectedPerMetre,
      rel: (c) => c.surfaceArea?.marchingCubesCorrected,
    });
  }
  for (const a of AXES) {
    defs.push({ name: `mean chord length ${a}`, unit: 'voxels', get: (p) => (p.chordLength ? p.chordLength[a]?.mean ?? null : undefined), rel: (c) => c.chordLengthMean?.[a] });
  }
  defs.push(
    { name: 'mean pore size (local thickness)', unit: 'voxels', get: (p) => (p.poreSizeDistribution === undefined ? undefined : p.poreSizeDistribution?.mean ?? null), rel: (c) => c.poreSizeMean },
    { name: 'connected components', unit: '', get: (p) => p.connectivity?.components },
    { name: 'largest component fraction', unit: '', get: (p) => p.connectivity?.largestComponentFraction },
    {
      name: 'percolates x y z',
      unit: '',
      get: (p) => (p.connectivity ? AXES.map((a) => yesNo(p.connectivity!.percolates[a])).join(' ') : undefined),
    },
    { name: 'Euler characteristic', unit: '', get: (p) => p.connectivity?.eulerCharacteristic },
  );
  for (const a of AXES) {
    defs.push({ name: `tortuosity factor ${a}`, unit: '', get: (p) => (p.tortuosity ? p.tortuosity[a]?.tortuosityFactor ?? null : undefined), rel: (c) => c.tortuosityFactor?.[a] });
  }
  for (const a of AXES) {
    defs.push({ name: `D_eff/D0 ${a}`, unit: '', get: (p) => (p.tortuosity ? p.tortuosity[a]?.relativeDiffusivity ?? null : undefined), rel: (c) => c.relativeDiffusivity?.[a] });
  }
  defs.push(
    { name: 'degree of anisotropy', unit: '', get: (p) => (p.anisotropy ? p.anisotropy.degree : undefined), rel: (c) => c.anisotropyDegree },
    { name: 'isotropic', unit: '', get: (p) => (p.anisotropy ? p.anisotropy.isotropic : undefined) },
  );
  for (const a of AXES) {
    defs.push({ name: `correlation length ${a}`, unit: 'voxels', get: (p) => (p.anisotropy ? p.anisotropy.correlationLength[a] : undefined) });
  }
  for (const a of AXES) {
    defs.push({
      name: `permeability ${a}`,
      unit: s ? 'mD' : 'voxel^2',
      get: (p) => (p.permeability ? (s ? p.permeability[a]?.permeabilityMilliDarcy : p.permeability[a]?.permeability) ?? null : undefined),
      rel: (c) => c.permeability?.[a],
    });
  }
  return defs;
}

function yesNo(v: boolean | null): string {
  return v === null ? '-' : v ? 'yes' : 'no';
}

/** Rows of the headline numbers; rows whose metric was not computed are left out. */
export function summaryRows(report: Report): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const refs = report.reference?.phases;
  for (const def of rowDefs(report)) {
    const values = report.phases.map(def.get);
    if (values.every((v) => v === undefined)) continue;
    const row: SummaryRow = { name: def.name, unit: def.unit, values: values.map((v) => v ?? null) };
    if (refs) {
      // An absent reference phase has only volumeFraction (0): every other row reads null for it.
      row.references = refs.map((r) => def.get(r as PhaseReport) ?? null);
      row.relativeErrors = report.comparison!.phases.map((c) => (def.rel ? def.rel(c)?.relativeError ?? null : null));
    }
    rows.push(row);
  }
  return rows;
}

/** A number for people: 4 significant digits, exponent form for very small or large magnitudes. */
export function formatValue(v: SummaryValue | undefined): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') return v;
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}

export function formatPercent(v: number | null | undefined): string {
  if (v === null || v === undefined) return '-';
  const p = v * 100;
  return `${p >= 0 ? '+' : ''}${Math.abs(p) >= 100 ? p.toFixed(0) : p.toFixed(2)}%`;
}

function table(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function phaseTitle(p: { label: number; fileValue: number | null }): string {
  return p.fileValue === null ? `phase ${p.label}` : `phase ${p.label} (${p.fileValue})`;
}

/** The report as readable text: a header, the numbers per phase, and the comparison when there is one. */
export function formatReportSummary(report: Report, name?: string): string {
  const m = report.meta;
  const out: string[] = [];
  const dims = m.dimensions === 2 ? `2D image${m.plane && m.plane !== 'xy' ? ` (${m.plane} plane)` : ''}` : '3D';
  out.push(`${name ? `${name}: ` : ''}${m.shape.join(' x ')} (z, y, x), ${dims}` +
    `${m.spacing !== null ? `, voxel ${formatValue(m.spacing)} m` : ''}; ${m.durationSeconds.toFixed(2)} s on ${m.threads ?? '?'} threads`);
  const rows = summaryRows(report);
  const unit = (r: SummaryRow) => (r.unit ? `${r.name} [${r.unit}]` : r.name);
  if (!report.comparison) {
    out.push('', table(['', ...report.phases.map(phaseTitle)], rows.map((r) => [unit(r), ...r.values.map(formatValue)])));
  } else {
    const c = report.comparison;
    report.phases.forEach((p, i) => {
      out.push('', table([phaseTitle(p), 'volume', 'reference', 'rel. error'], rows.map((r) => [
        unit(r), formatValue(r.values[i]), formatValue(r.references?.[i]), formatPercent(r.relativeErrors?.[i]),
      ])));
      const rm = c.phases[i]!.twoPointCorrelationRmse;
      if (rm) out.push(`S2 RMSE x ${formatValue(rm.x)}, y ${formatValue(rm.y)}, z ${formatValue(rm.z)}, radial ${formatValue(rm.radial)}`);
    });
    out.push('', `similarity: SSIM ${formatValue(c.ssim)} (7-voxel uniform window ${formatValue(c.ssimUniform)}), ` +
      `PSNR ${c.psnr === null ? '- (identical)' : `${c.psnr.toFixed(2)} dB`}, MSE ${formatValue(c.mse)}`);
  }
  return out.join('\n');
}
