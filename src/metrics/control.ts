/**
 * Native metric calls with a control block (Int32Array [cancel flag, progress in millionths]) shared with the C++
 * side: one place that wires an AbortSignal to the flag, polls progress on a timer and maps native errors.
 */
import { AbortError, MicroreconError, fromBackendError } from '../core/errors.js';

export interface ControlOptions {
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

/**
 * Runs `parts` native calls in turn with one control block: progress is reported as (part + fraction) / parts,
 * never decreasing, every `interval` ms; the signal sets the cancel flag (and stops before the next part).
 */
export async function runControlled<T>(
  o: ControlOptions,
  what: string,
  parts: number,
  interval: number,
  run: (part: number, control: Int32Array) => Promise<T>,
): Promise<T[]> {
  if (o.signal?.aborted) throw new AbortError(`${what}: the operation was aborted`);
  const control = new Int32Array(2);
  const onAbort = () => Atomics.store(control, 0, 1);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  let done = 0;
  let last = -1;
  const report = (f: number) => {
    if (!o.onProgress || !(f > last)) return;
    last = f;
    o.onProgress(f);
  };
  const timer = o.onProgress ? setInterval(() => report((done + Atomics.load(control, 1) / 1e6) / parts), interval) : undefined;
  try {
    const out: T[] = [];
    for (let part = 0; part < parts; part++) {
      if (o.signal?.aborted) throw new AbortError(`${what}: the operation was aborted`);
      Atomics.store(control, 1, 0);
      out.push(await run(part, control));
      done += 1;
      report(done / parts);
    }
    return out;
  } catch (err) {
    if (err instanceof MicroreconError) throw err;
    // native messages may already start with the call's name
    const e = err as { code?: unknown; message?: unknown };
    const message = typeof e?.message === 'string' && e.message.startsWith(`${what}: `) ? e.message.slice(what.length + 2) : e?.message;
    throw fromBackendError(typeof e?.code === 'string' ? { code: e.code, message } : err, what);
  } finally {
    if (timer) clearInterval(timer);
    o.signal?.removeEventListener('abort', onAbort);
  }
}
