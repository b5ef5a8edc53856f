/**
 * Backend registry: backends register with a priority and an async feature-checking init(); 'auto' takes the
 * best one that initialises and implements the kernel, and if none does the error lists every reason.
 */
import { BackendUnavailableError, InvalidArgumentError } from '../core/errors.js';
import { BACKEND_NAMES, type BackendName } from '../core/tensor.js';
import type { Backend, BackendStatus } from './types.js';

export type BackendChoice = BackendName | 'auto';

interface Entry {
  factory: () => Backend | Promise<Backend>;
  state?: Promise<Backend>;
}

const entries = new Map<BackendName, Entry>();
/** Reasons for backends that are known but not part of this build. */
const notBuilt: Partial<Record<BackendName, string>> = {
  cuda: 'the CUDA backend is not part of this build yet',
};

export function registerBackend(name: BackendName, factory: () => Backend | Promise<Backend>): void {
  entries.set(name, { factory });
}

/** Forgets initialisation results (tests use it after changing the environment). */
export function resetBackends(): void {
  for (const e of entries.values()) e.state = undefined;
}

function load(name: BackendName): Promise<Backend> {
  const e = entries.get(name);
  if (!e) return Promise.reject(new Error(notBuilt[name] ?? `no backend named ${name} is registered`));
  e.state ??= (async () => {
    const b = await e.factory();
    await b.init();
    return b;
  })();
  return e.state;
}

export function checkBackendChoice(v: unknown, what = 'backend'): BackendChoice {
  if (v === undefined) return 'auto';
  if (v === 'auto' || (typeof v === 'string' && (BACKEND_NAMES as readonly string[]).includes(v))) return v as BackendChoice;
  throw new InvalidArgumentError(`${what} must be 'auto' or one of ${BACKEND_NAMES.join(', ')}, got ${JSON.stringify(v)}`);
}

/** Every known backend, available or not, with the reason when not. */
export async function backends(): Promise<BackendStatus[]> {
  return Promise.all(
    BACKEND_NAMES.map(async (name): Promise<BackendStatus> => {
      try {
        const b = await load(name);
        return { name, available: true, priority: b.priority, ...(b.details ? { details: b.details() } : {}) };
      } catch (err) {
        return { name, available: false, reason: reasonOf(err) };
      }
    }),
  );
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The backend to run `kernel` on. A named backend must be available and implement the kernel; 'auto' prefers
 * `preferred` (where the inputs already live) and then the highest priority.
 */
export async function resolveBackend(choice: BackendChoice, kernel: string, preferred?: BackendName): Promise<Backend> {
  if (choice !== 'auto') {
    let b: Backend;
    try {
      b = await load(choice);
    } catch (err) {
      throw new BackendUnavailableError(`backend '${choice}' is unavailable: ${reasonOf(err)}`, { [choice]: reasonOf(err) });
    }
    if (!b.supports(kernel))
      throw new BackendUnavailableError(`backend '${choice}' does not implement ${kernel}`, { [choice]: `no ${kernel}` });
    return b;
  }
  const reasons: Record<string, string> = {};
  const usable: Backend[] = [];
  for (const name of BACKEND_NAMES) {
    try {
      const b = await load(name);
      if (b.supports(kernel)) usable.push(b);
      else reasons[name] = `does not implement ${kernel}`;
    } catch (err) {
      reasons[name] = reasonOf(err);
    }
  }
  if (!usable.length) {
    const list = Object.entries(reasons).map(([n, r]) => `${n}: ${r}`).join('; ');
    throw new BackendUnavailableError(`no backend can run ${kernel} here (${list})`, reasons);
  }
  const pref = usable.find((b) => b.name === preferred);
  const chosen = pref ?? usable.sort((a, b) => b.priority - a.priority)[0];
  noticeOnce(chosen, reasons);
  return chosen;
}

const noticed = new Set<string>();
function noticeOnce(b: Backend, reasons: Record<string, string>): void {
  const line = b.autoNotice?.(reasons);
  if (line && !noticed.has(line)) {
    noticed.add(line);
    console.warn(line);
  }
}
