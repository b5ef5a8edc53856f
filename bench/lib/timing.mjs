// Helpers shared by the benches: seeded inputs, medians, and timing of async calls.

/** n floats in [-0.5, 0.5) from a xorshift32 stream: the same inputs for every runtime in a run. */
export function randomArray(n, seed) {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; ++i) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    a[i] = (s >>> 0) / 4294967296 - 0.5;
  }
  return a;
}

/** The median (mean of the two middle values for an even count); null for no values. */
export function median(a) {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length ? (s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2) : null;
}

/** Milliseconds of `reps` calls of fn after `warmup` untimed ones. */
export async function timeIt(fn, reps, warmup) {
  for (let i = 0; i < warmup; ++i) await fn();
  const ms = [];
  for (let i = 0; i < reps; ++i) {
    const t0 = process.hrtime.bigint();
    await fn();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return ms;
}
