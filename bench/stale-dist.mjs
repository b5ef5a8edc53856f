// The benches import the built SDK (dist/); a dist older than src/ silently measures old code (seen once: a
// model's preferred tile width ignored). Warn loudly instead.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Prints a warning when a file under src/ is newer than dist/index.js; returns true when stale. */
export function warnIfStaleDist(root) {
  const built = statSync(join(root, 'dist', 'index.js')).mtimeMs;
  const stale = newestMtime(join(root, 'src')) > built;
  if (stale) console.error('WARNING: dist/ is older than src/ — these figures come from the old build; run `npm run build` first');
  return stale;
}
