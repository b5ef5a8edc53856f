/** `microrecon train`: trains a model with a progress bar; Ctrl-C stops at the next iteration and saves. */
import cliProgress from 'cli-progress';
import { InvalidArgumentError } from '../core/errors.js';
import { Trainer, type PlaneConsistency, type TrainerSettings } from '../trainer/index.js';
import type { ModelConfigInput } from '../model/index.js';
import type { BackendChoice } from '../backends/registry.js';

export interface TrainCommandOptions {
  data: string;
  mode: string;
  size?: string;
  iterations?: string;
  out?: string;
  resume?: boolean;
  sections?: string;
  config?: string;
  backend?: string;
  seed?: string;
  quiet?: boolean;
}

function int(v: string | undefined, what: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`--${what} must be an integer, got ${JSON.stringify(v)}`);
  return n;
}

export async function trainCommand(o: TrainCommandOptions): Promise<void> {
  const fs = await import('node:fs/promises');
  const mode = o.mode as 'paired' | '2d';
  if (mode !== 'paired' && mode !== '2d') throw new InvalidArgumentError(`--mode must be paired or 2d, got ${JSON.stringify(o.mode)}`);
  const data = o.data.includes(',') ? o.data.split(',').filter(Boolean) : o.data;
  let extra: { config?: ModelConfigInput; trainer?: Partial<TrainerSettings> } = {};
  if (o.config) {
    try {
      extra = JSON.parse(await fs.readFile(o.config, 'utf8'));
    } catch (err) {
      throw new InvalidArgumentError(`--config ${o.config}: ${(err as Error).message}`);
    }
  }
  const config: ModelConfigInput = { ...(extra.config ?? {}) };
  if (o.sections) {
    const k = int(o.sections, 'sections', 1);
    Object.assign(config, k === 1 ? { mode: 'single', sections: 1 } : { mode: 'sections', sections: k });
  }
  const out = o.out ?? 'microrecon-training';
  const trainer = await Trainer.create({
    data, mode, out, size: int(o.size, 'size', config.size ?? 64), config, trainer: extra.trainer, resume: !!o.resume,
    backend: o.backend as BackendChoice | undefined, seed: o.seed === undefined ? undefined : int(o.seed, 'seed', 0),
  });
  const pc = (trainer.config.notes as { data?: { planeConsistency?: PlaneConsistency } } | undefined)?.data?.planeConsistency;
  if (pc && !pc.consistent)
    console.error(
      `microrecon: warning: the three plane images disagree where they share an axis (normalised two-point correlation, lags 1..${pc.maxLag}: ` +
        pc.axes.map((a) => `${a.axis} ${a.images[0].plane}/${a.images[1].plane} RMS ${a.rms.toFixed(3)} = ${a.ratio.toFixed(1)}x the within-image noise`).join('; ') +
        '). No single volume matches all three; check scale, orientation (rotate an image whose axes are swapped) and contrast.',
    );
  const iterations = int(o.iterations, 'iterations', 1000);
  const ac = new AbortController();
  let hits = 0;
  const onSig = () => {
    hits++;
    if (hits > 1) process.exit(130);
    process.stderr.write('\nmicrorecon: stopping after this iteration and saving a checkpoint (Ctrl-C again to quit now)\n');
    ac.abort();
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  const tty = !o.quiet && process.stderr.isTTY;
  const bar = new cliProgress.SingleBar({
    format: 'train |{bar}| {value}/{total} it | D {d} G {g} L1 {l1} adv×{aw} | {rate} it/s | ETA {eta_formatted} | skipped {skip}',
    hideCursor: true, etaBuffer: 50, stream: process.stderr, noTTYOutput: !tty && !o.quiet, notTTYSchedule: 30000,
  }, cliProgress.Presets.shades_classic);
  const f = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));
  if (!o.quiet) bar.start(iterations, trainer.iteration, { d: '-', g: '-', l1: '-', aw: '0', rate: '-', skip: 0 });
  console.error(`microrecon: training ${trainer.config.training} / ${trainer.config.mode} (k = ${trainer.config.sections}), ${trainer.config.phases} phases, ${trainer.config.size}^3 -> ${out}`);
  try {
    const r = await trainer.train({
      iterations, signal: ac.signal,
      onProgress: (p) => {
        if (!o.quiet) bar.update(p.iteration, { d: f(p.losses.d), g: f(p.losses.g), l1: f(p.losses.l1), aw: f(p.advWeight), rate: p.itPerSec.toFixed(2), skip: p.skipped.critic + p.skipped.generator });
        if (p.validation) process.stderr.write(`\nvalidation @${p.iteration}: score ${p.validation.score.toFixed(4)} ${JSON.stringify(Object.fromEntries(Object.entries(p.validation.metrics).map(([k, v]) => [k, +v.toFixed(4)])))}\n`);
      },
    });
    if (!o.quiet) bar.stop();
    console.log(`${r.aborted ? 'stopped' : 'done'} at iteration ${r.iteration}; best held-out score ${r.best ? `${r.best.score.toFixed(4)} at ${r.best.iteration}` : '-'}; skipped steps: critic ${r.skipped.critic}, generator ${r.skipped.generator}; checkpoint ${out}/checkpoint, best model ${out}/best`);
  } finally {
    if (!o.quiet) bar.stop();
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
    trainer.dispose();
  }
}
