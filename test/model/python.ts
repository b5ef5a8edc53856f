/** Debian's python3 for the checks of the PyTorch training scripts (scripts/gpu), and whether it has what they need. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PYTHON = '/usr/bin/python3';

/**
 * Whether PYTHON imports every module in `modules`; when not, says loudly (console.warn) that `what` is SKIPPED and
 * which Debian packages would run it, so that no check passes silently.
 */
export function pythonHas(modules: string[], what: string): boolean {
  const ok = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', `import ${modules.join(', ')}`], { stdio: 'ignore' }).status === 0;
  if (!ok) console.warn(`${what}: ${PYTHON} without ${modules.join(' and ')}, the check is SKIPPED (apt install ${modules.map((m) => `python3-${m}`).join(' ')})`);
  return ok;
}
