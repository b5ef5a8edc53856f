/**
 * Progress over the stages of an evaluation: each stage has a weight (its expected cost relative to one
 * statistics pass over the volume; all stages scale about linearly with the voxel count, so constant weights do),
 * the overall fraction is (weights done + fraction of the running stage x its weight) / total, never decreasing.
 * A throwing progress callback aborts the evaluation and its error is what `evaluate` rejects with.
 */
import type { EvaluateProgressDetail } from './types.js';

/** Expected cost per stage, relative to one statistics pass (measured on Berea crops, 48^3 to 128^3). */
export const STAGE_WEIGHTS = {
  statistics: 1,
  /** Per axis solved. */
  tortuosity: 2,
  /** Per axis solved (lattice Boltzmann runs thousands of steps). */
  permeability: 100,
  similarity: 0.4,
} as const;

export interface StagePlan {
  kind: EvaluateProgressDetail['kind'];
  target: EvaluateProgressDetail['target'];
  label?: number;
  weight: number;
}

export function stageName(s: StagePlan): string {
  const who = s.target === 'reference' ? 'reference ' : '';
  if (s.kind === 'done') return 'done';
  return s.kind === 'similarity' ? 'similarity (SSIM, PSNR)' : `${who}${s.kind} (phase ${s.label})`;
}

export class ProgressTracker {
  readonly #total: number;
  #done = 0;
  #last = -1;
  #error: unknown;
  #hasError = false;

  constructor(
    stages: readonly StagePlan[],
    private readonly callback: ((fraction: number, stage: string, detail: EvaluateProgressDetail) => void) | undefined,
    private readonly abort: () => void,
  ) {
    this.#total = stages.reduce((s, st) => s + st.weight, 0) || 1;
  }

  get enabled(): boolean {
    return this.callback !== undefined;
  }

  /** The error a progress callback threw, if any. */
  get failure(): { error: unknown } | undefined {
    return this.#hasError ? { error: this.#error } : undefined;
  }

  /** A per-stage callback for the native wrappers (fraction of this stage in [0, 1]); undefined when not tracking. */
  stage(s: StagePlan): ((f: number) => void) | undefined {
    if (!this.callback) return undefined;
    return (f: number) => this.#emit(s, Math.min(1, Math.max(0, Number.isFinite(f) ? f : 0)));
  }

  start(s: StagePlan): void {
    if (this.callback) this.#emit(s, 0);
  }

  finish(s: StagePlan): void {
    if (this.callback) this.#emit(s, 1);
    this.#done += s.weight;
  }

  /** Reports 1 ('done') unless the last stage already did. */
  complete(): void {
    if (this.callback && this.#last < 1) this.#emit({ kind: 'done', target: 'volume', weight: 0 }, 1, 1);
  }

  #emit(s: StagePlan, f: number, force?: number): void {
    if (this.#hasError) return;
    const overall = force ?? Math.min(1, (this.#done + f * s.weight) / this.#total);
    if (overall < this.#last) return;
    this.#last = overall;
    try {
      this.callback!(overall, stageName(s), { kind: s.kind, target: s.target, label: s.label, stageFraction: f });
    } catch (err) {
      this.#hasError = true;
      this.#error = err;
      this.abort();
    }
  }
}
