/**
 * `microrecon evaluate <volume> [--reference <volume>] [--phase L ...] [--metrics a,b] [--spacing s]
 *  [--json out.json] [--html report.html]`: prints a summary table to stdout, a progress bar on stderr when it
 * is a terminal; Ctrl-C cancels the native work.
 */
import { constants } from 'node:fs';
import { access, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError } from '../core/errors.js';
import { evaluate, formatReportSummary, renderHtmlReport, type Report } from '../evaluate/index.js';
import { readVolume } from '../io/index.js';

export interface EvaluateCommandOptions {
  reference?: string;
  phase?: string[];
  metrics?: string;
  spacing?: string;
  json?: string;
  html?: string;
}

const UNITS: Record<string, number> = { m: 1, mm: 1e-3, um: 1e-6, 'µm': 1e-6, 'μm': 1e-6, nm: 1e-9 };

/** "5.345e-6", "5.345um", "5.345 µm", "0.005mm" -> metres. */
export function parseSpacing(text: string): number {
  const m = /^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([a-zA-Zµμ]*)\s*$/.exec(text);
  const unit = m?.[2] === '' ? 'm' : m?.[2];
  const factor = unit === undefined ? undefined : UNITS[unit];
  const value = m && factor !== undefined ? Number(m[1]) * factor : NaN;
  if (!Number.isFinite(value) || !(value > 0)) {
    throw new InvalidArgumentError(`--spacing must be a positive voxel size in metres, optionally with a unit (nm, um, mm, m), got '${text}'`);
  }
  return value;
}

/** "--phase 0 1", "--phase 0,1": phase indices. */
export function parsePhases(values: readonly string[]): number[] {
  return values.flatMap((v) => v.split(',')).filter((s) => s.trim() !== '').map((s) => {
    const t = s.trim();
    if (!/^\d+$/.test(t)) throw new InvalidArgumentError(`--phase takes phase indices (0, 1, ...), got '${t}'`);
    return Number(t);
  });
}

/** A one-line progress bar on a terminal, redrawn at most 10 times a second. */
function progressBar(stream: NodeJS.WriteStream): { update: (f: number, stage: string) => void; clear: () => void } {
  let last = 0;
  let shown = false;
  const draw = (f: number, stage: string) => {
    const cols = stream.columns || 80;
    const width = Math.max(10, Math.min(30, cols - 50));
    const n = Math.round(f * width);
    const line = `[${'#'.repeat(n)}${'-'.repeat(width - n)}] ${(f * 100).toFixed(0).padStart(3)}% ${stage}`;
    stream.write(`\r${line.slice(0, cols - 1)}\x1b[K`);
    shown = true;
  };
  return {
    update(f, stage) {
      const now = Date.now();
      if (f < 1 && now - last < 100) return;
      last = now;
      draw(f, stage);
    },
    clear() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}

/** Fails early (before the work) when an output file's folder does not exist or is not writable. */
async function checkWritable(path: string): Promise<void> {
  try {
    await access(dirname(resolve(path)), constants.W_OK);
  } catch (err) {
    throw new InvalidArgumentError(`cannot write ${path}: ${(err as Error).message}`);
  }
}

async function write(path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (err) {
    throw new InvalidArgumentError(`cannot write ${path}: ${(err as Error).message}`);
  }
}

export async function evaluateCommand(file: string, o: EvaluateCommandOptions): Promise<void> {
  // Everything the user typed is checked before the (possibly long) work starts.
  const spacing = o.spacing === undefined ? undefined : parseSpacing(o.spacing);
  const phases = o.phase === undefined ? undefined : parsePhases(o.phase);
  const metrics = o.metrics === undefined ? undefined : o.metrics.split(',').map((s) => s.trim()).filter(Boolean);
  if (metrics !== undefined && metrics.length === 0) throw new InvalidArgumentError('--metrics needs at least one name');

  for (const out of [o.json, o.html]) if (out !== undefined && out !== '-') await checkWritable(out);

  const volume = await readVolume(file);
  const reference = o.reference === undefined ? undefined : await readVolume(o.reference);

  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  const bar = process.stderr.isTTY ? progressBar(process.stderr) : undefined;
  let report: Report;
  try {
    report = await evaluate(volume, {
      reference,
      phases,
      metrics,
      spacing,
      signal: controller.signal,
      onProgress: bar ? (f, stage) => bar.update(f, stage) : undefined,
    });
  } finally {
    bar?.clear();
    process.removeListener('SIGINT', onSigint);
  }

  if (o.json !== undefined) {
    const text = `${JSON.stringify(report, null, 2)}\n`;
    if (o.json === '-') process.stdout.write(text);
    else await write(o.json, text);
  }
  if (o.html !== undefined) {
    const html = renderHtmlReport(report, volume, reference, {
      title: `microrecon evaluation: ${file}`,
      volumeName: file,
      referenceName: o.reference,
    });
    await write(o.html, html);
  }
  if (o.json === '-') return; // stdout holds the JSON only
  console.log(formatReportSummary(report, file));
  if (report.meta.spacing === null && report.meta.fileSpacing) {
    console.log(`\nnote: the file gives spacing ${report.meta.fileSpacing.join(' x ')} (unit unknown); pass --spacing in metres for physical units`);
  }
  const written = [o.json && o.json !== '-' ? `JSON ${o.json}` : '', o.html ? `HTML ${o.html}` : ''].filter(Boolean);
  if (written.length) console.log(`\nwrote ${written.join(', ')}`);
}
