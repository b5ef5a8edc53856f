/** `microrecon generate`: reconstructs a volume with a progress bar; .tif output is written slice by slice. */
import cliProgress from 'cli-progress';
import { AbortError, InvalidArgumentError } from '../core/errors.js';
import { writeVolume } from '../io/index.js';
import { Reconstructor, TiffStreamWriter, readInput } from '../reconstructor/index.js';

export interface GenerateCommandOptions {
  model: string;
  input: string;
  size?: string;
  seed?: string;
  out: string;
  backend?: string;
  quiet?: boolean;
}

function int(v: string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n)) throw new InvalidArgumentError(`--${what} must be an integer, got ${JSON.stringify(v)}`);
  return n;
}

export async function generateCommand(o: GenerateCommandOptions): Promise<void> {
  const size = int(o.size, 'size');
  const seed = int(o.seed, 'seed') ?? 0;
  const rec = await Reconstructor.load(o.model, { backend: o.backend ?? 'auto' });
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.on('SIGINT', onSig);
  const bar = new cliProgress.SingleBar({ format: 'generate |{bar}| {percentage}% | {stage} | ETA {eta_formatted}', hideCursor: true, stream: process.stderr, etaBuffer: 20 }, cliProgress.Presets.shades_classic);
  const show = !o.quiet && process.stderr.isTTY;
  try {
    const input = await readInput(o.input);
    const N = size ?? rec.info.size;
    if (show) bar.start(1000, 0, { stage: 'starting' });
    const opts = { size: N, seed, signal: ac.signal, onProgress: (f: number, stage: string) => show && bar.update(Math.round(f * 1000), { stage }) };
    const t0 = Date.now();
    if (/\.tiff?$/i.test(o.out)) {
      const w = new TiffStreamWriter(o.out, [N, N, N], rec.info.labels ?? undefined);
      await w.open();
      try {
        for await (const slice of rec.stream(input, opts)) await w.writeSlice(slice);
        await w.close();
      } catch (err) {
        await w.abort();
        throw err;
      }
    } else {
      await writeVolume(o.out, await rec.reconstruct(input, opts));
    }
    if (show) bar.stop();
    console.log(`${o.out}: ${N}x${N}x${N}, ${rec.info.phases} phases, model ${o.model} (${rec.info.mode}, k = ${rec.info.k}), seed ${seed}, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } catch (err) {
    if (show) bar.stop();
    if (err instanceof AbortError) console.error('microrecon: stopped; no output written');
    throw err;
  } finally {
    process.off('SIGINT', onSig);
    rec.dispose();
  }
}
