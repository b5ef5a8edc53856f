/**
 * `evaluate(volume, options)`: every statistic and transport property of each phase in one report (see types.ts
 * and schema/report.schema.json), optionally against a reference volume. All heavy work is native and async (off
 * the event loop); stages run one after the other because each native call uses every core already.
 */
import { AbortError, InvalidArgumentError } from '../core/errors.js';
import { loadNativeBinding } from '../backends/native-binding.js';
import {
  compareVolumes,
  labelCounts,
  phaseStatistics,
  statisticsConstants,
  type LabelVolume,
  type PhaseStatistics,
  type StatisticName,
} from '../metrics/native-stats.js';
import {
  permeability,
  tortuosity,
  type Axis,
  type PermeabilityResult,
  type TortuosityResult,
} from '../metrics/native-transport.js';
import { comparePhase } from './comparison.js';
import {
  alignReferenceLabels,
  checkSpacing,
  prepareVolume,
  resolveMetrics,
  resolvePhases,
  type PreparedVolume,
} from './input.js';
import { jsonSafe } from './json-safe.js';
import { methodNotes } from './methods.js';
import { phaseReport } from './phase-report.js';
import { ProgressTracker, STAGE_WEIGHTS, stageName, type StagePlan } from './progress.js';
import {
  REPORT_SCHEMA_VERSION,
  type AbsentPhaseReport,
  type Comparison,
  type EvaluateOptions,
  type EvaluateVolume,
  type MetricName,
  type PhaseReport,
  type Report,
} from './types.js';

/** SSIM windows need 11 voxels along every axis (z too, unless the input is 2D). */
const SSIM_MIN_EXTENT = 11;

const STATS_FOR: Partial<Record<MetricName, StatisticName[]>> = {
  twoPointCorrelation: ['twoPoint', 'radialTwoPoint'],
  linealPath: ['linealPath'],
  chordLength: ['chordLength'],
  surfaceArea: ['surfaceArea'],
  connectivity: ['connectivity'],
  poreSizeDistribution: ['poreSize'],
  anisotropy: ['anisotropy'],
};

declare const __VERSION__: string | undefined;

let versionCache: string | undefined;
async function microreconVersion(): Promise<string> {
  if (typeof __VERSION__ === 'string') return __VERSION__;
  if (versionCache) return versionCache;
  try {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { packageRoot } = await import('../core/package-root.js');
    versionCache = String(JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version);
  } catch {
    versionCache = '0.0.0-unknown';
  }
  return versionCache;
}

async function threadCount(): Promise<number | null> {
  try {
    return (await loadNativeBinding()).info().threads;
  } catch {
    return null;
  }
}

function presentPhases(counts: readonly number[]): number[] {
  return counts.flatMap((c, k) => (c > 0 ? [k] : []));
}

interface Target {
  name: 'volume' | 'reference';
  prepared: PreparedVolume;
  view: LabelVolume;
  labels: readonly number[] | undefined;
  counts: number[];
  stats: Map<number, PhaseStatistics>;
  tortuosity: Map<number, TortuosityResult>;
  permeability: Map<number, PermeabilityResult>;
}

/**
 * Evaluates `volume` (phase indices, shape [z, y, x]; a 2D image is [1, y, x]).
 * Rejects with InvalidArgumentError for bad input (empty volume, a line, unknown metric, a phase that does not
 * occur, NaN or non-cubic spacing, a reference of another shape), AbortError when `signal` fires,
 * BackendUnavailableError without the native addon. Never returns NaN or Infinity (see the null conventions).
 */
export async function evaluate(volume: EvaluateVolume, options: EvaluateOptions = {}): Promise<Report> {
  const started = performance.now();
  const createdAt = new Date().toISOString();
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object');
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidArgumentError('signal must be an AbortSignal');
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new InvalidArgumentError('onProgress must be a function');
  }

  // ---- validation, before any native work
  const vol = prepareVolume(volume, 'volume');
  const spacing = checkSpacing(options.spacing, vol);
  const metrics = resolveMetrics(options.metrics, vol.dimensions);
  let ref: PreparedVolume | undefined;
  if (options.reference !== undefined) {
    ref = prepareVolume(options.reference, 'reference');
    if (ref.shape.some((n, i) => n !== vol.shape[i])) {
      throw new InvalidArgumentError(
        `reference shape [${ref.shape.join(', ')}] differs from volume shape [${vol.shape.join(', ')}]`,
      );
    }
  }

  // ---- cancellation: the caller's signal, or a throwing progress callback, stop the native work
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  if (options.signal?.aborted) throw new AbortError();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let tracker: ProgressTracker | undefined;
  try {
    return await run();
  } catch (err) {
    if (tracker?.failure) throw tracker.failure.error;
    if (options.signal?.aborted && !(err instanceof AbortError)) throw new AbortError();
    throw err;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }

  async function run(): Promise<Report> {
    const signal = controller.signal;
    const volCounts = await labelCounts(vol.view);
    const present = presentPhases(volCounts);
    const phases = resolvePhases(options.phases, present, vol.labels);

    const targets: Target[] = [
      { name: 'volume', prepared: vol, view: vol.view, labels: vol.labels, counts: volCounts, stats: new Map(), tortuosity: new Map(), permeability: new Map() },
    ];
    let labelMapping: { from: number; to: number }[] | null = null;
    if (ref) {
      const aligned = await alignReferenceLabels(vol, ref, signal);
      if (signal.aborted) throw new AbortError();
      const view = aligned?.view ?? ref.view;
      labelMapping = aligned?.mapping ?? null;
      const labels = aligned?.labels ?? ref.labels;
      targets.push({ name: 'reference', prepared: ref, view, labels, counts: await labelCounts(view), stats: new Map(), tortuosity: new Map(), permeability: new Map() });
    }

    // ---- the plan
    const statistics = [...new Set(metrics.flatMap((m) => STATS_FOR[m] ?? []))];
    // The solvers' iteration counts grow with the size (statistics are linear): scale their weights by the edge.
    const edge = Math.cbrt(vol.shape[0] * vol.shape[1] * vol.shape[2]);
    const solverWeight = (w: number) => w * Math.max(1, edge / 48);
    const axes: Axis[] = vol.dimensions === 3 ? ['x', 'y', 'z'] : [];
    interface Step extends StagePlan {
      go: (onProgress: ((f: number) => void) | undefined) => Promise<void>;
    }
    const steps: Step[] = [];
    for (const t of targets) {
      for (const label of phases) {
        if (t.counts[label] === 0) continue; // only possible for the reference: reported as absent
        if (statistics.length > 0) {
          steps.push({
            kind: 'statistics', target: t.name, label, weight: STAGE_WEIGHTS.statistics,
            go: async (onProgress) => {
              t.stats.set(label, await phaseStatistics(t.view, label, { statistics, signal, onProgress }));
            },
          });
        }
        if (metrics.includes('tortuosity') && axes.length > 0) {
          steps.push({
            kind: 'tortuosity', target: t.name, label, weight: solverWeight(STAGE_WEIGHTS.tortuosity) * axes.length,
            go: async (onProgress) => {
              t.tortuosity.set(label, await tortuosity(t.view, { phase: label, axes, signal, onProgress }));
            },
          });
        }
        if (metrics.includes('permeability') && axes.length > 0) {
          steps.push({
            kind: 'permeability', target: t.name, label, weight: solverWeight(STAGE_WEIGHTS.permeability) * axes.length,
            go: async (onProgress) => {
              t.permeability.set(
                label,
                await permeability(t.view, { phase: label, axes, spacing: spacing ?? undefined, signal, onProgress }),
              );
            },
          });
        }
      }
    }
    let similarity: Omit<Comparison, 'phases'> | undefined;
    if (targets.length === 2) {
      const [a, b] = targets as [Target, Target];
      const maxLabel = Math.max(...presentPhases(a.counts), ...presentPhases(b.counts));
      const scaledPhases = Math.max(2, maxLabel + 1);
      steps.push({
        kind: 'similarity', target: 'volume', weight: STAGE_WEIGHTS.similarity,
        go: async (onProgress) => {
          similarity = await similarityOf(a.view, b.view, scaledPhases, signal, onProgress);
        },
      });
    }

    // ---- run it
    tracker = new ProgressTracker(steps, options.onProgress, () => controller.abort());
    const timings: { stage: string; seconds: number }[] = [];
    for (const step of steps) {
      if (signal.aborted) throw new AbortError();
      const t0 = performance.now();
      tracker.start(step);
      await step.go(tracker.stage(step));
      tracker.finish(step);
      timings.push({ stage: stageName(step), seconds: (performance.now() - t0) / 1000 });
    }
    if (signal.aborted) throw new AbortError();

    // ---- the report
    const total = vol.shape[0] * vol.shape[1] * vol.shape[2];
    const reportOf = (t: Target, label: number): PhaseReport =>
      phaseReport(
        {
          label,
          fileValue: t.labels?.[label] ?? null,
          voxels: t.counts[label]!,
          totalVoxels: total,
          stats: t.stats.get(label),
          tortuosity: t.tortuosity.get(label),
          permeability: t.permeability.get(label),
        },
        t.prepared,
        spacing,
      );
    const constants = await statisticsConstants();
    const report: Report = {
      schemaVersion: REPORT_SCHEMA_VERSION,
      meta: {
        microreconVersion: await microreconVersion(),
        createdAt,
        durationSeconds: 0,
        threads: await threadCount(),
        shape: [...vol.shape],
        dimensions: vol.dimensions,
        plane: vol.plane,
        spacing,
        fileSpacing: vol.fileSpacing,
        metrics,
        phases,
        phasesPresent: present.map((label) => ({
          label,
          fileValue: vol.labels?.[label] ?? null,
          volumeFraction: volCounts[label]! / total,
        })),
        methods: methodNotes(vol.dimensions),
        constants: {
          meshBias3d: constants.meshBias3d,
          meshBias2d: constants.meshBias2d,
          isotropicMaxDegree: constants.isotropicDA,
          isotropicMaxCorrelationRatio: constants.isotropicRatio,
        },
        timings,
      },
      phases: phases.map((label) => reportOf(targets[0]!, label)),
    };
    if (targets.length === 2) {
      const t = targets[1]!;
      const refPhases = phases.map((label): PhaseReport | AbsentPhaseReport =>
        t.counts[label]! > 0
          ? reportOf(t, label)
          : { label, fileValue: t.labels?.[label] ?? null, voxels: 0, volumeFraction: 0, absent: true },
      );
      report.reference = { shape: [...t.prepared.shape], labelMapping, phases: refPhases };
      report.comparison = {
        ...similarity!,
        phases: report.phases.map((p, i) => comparePhase(p, refPhases[i]!)),
      };
    }
    report.meta.durationSeconds = (performance.now() - started) / 1000;
    tracker.complete();
    return jsonSafe(report);
  }
}

/** SSIM (when every extent allows the 11-voxel window), MSE and PSNR of the scaled labels. */
async function similarityOf(
  a: LabelVolume,
  b: LabelVolume,
  scaledPhases: number,
  signal: AbortSignal,
  onProgress: ((f: number) => void) | undefined,
): Promise<Omit<Comparison, 'phases'>> {
  const [nz, ny, nx] = a.shape;
  const ssimFits = ny >= SSIM_MIN_EXTENT && nx >= SSIM_MIN_EXTENT && (nz === 1 || nz >= SSIM_MIN_EXTENT);
  if (ssimFits) {
    const s = await compareVolumes(a, b, { phases: scaledPhases, signal, onProgress });
    return { ssim: s.ssim, ssimUniform: s.ssimUniform, mse: s.mse, psnr: s.psnr, scaledPhases };
  }
  // Too small for the SSIM window: MSE in JS, in chunks (such volumes are thin, but may still be large).
  const scale = 1 / (scaledPhases - 1);
  let sum = 0;
  const CHUNK = 1 << 22;
  for (let start = 0; start < a.data.length; start += CHUNK) {
    const end = Math.min(a.data.length, start + CHUNK);
    for (let i = start; i < end; ++i) {
      const d = (a.data[i]! - b.data[i]!) * scale;
      sum += d * d;
    }
    onProgress?.(end / a.data.length);
    if (end < a.data.length) {
      await new Promise((r) => setTimeout(r, 0));
      if (signal.aborted) throw new AbortError();
    }
  }
  const mse = sum / a.data.length;
  return { ssim: null, ssimUniform: null, mse, psnr: mse > 0 ? 10 * Math.log10(1 / mse) : null, scaledPhases };
}
