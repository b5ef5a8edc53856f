/**
 * The report's last guard: a deep copy in which every non-finite number (NaN, ±Infinity) is null and typed arrays
 * are plain arrays, so JSON.stringify keeps every value. The native wrappers already map undefined values to
 * null; this only makes the guarantee unconditional.
 */
export function jsonSafe<T>(value: T): T {
  return copy(value) as T;
}

function copy(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (v === null || typeof v !== 'object') return v;
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, (x) => copy(x));
  if (Array.isArray(v)) return v.map(copy);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = copy(x);
  return out;
}

/** Paths of the non-finite numbers in a value (for tests and debugging); empty when JSON-safe. */
export function nonFinitePaths(v: unknown, path = '$'): string[] {
  if (typeof v === 'number') return Number.isFinite(v) ? [] : [path];
  if (v === null || typeof v !== 'object') return [];
  if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    return Array.from(v as ArrayLike<unknown>).flatMap((x, i) => nonFinitePaths(x, `${path}[${i}]`));
  }
  return Object.entries(v).flatMap(([k, x]) => nonFinitePaths(x, `${path}.${k}`));
}
