// The benches import the built SDK (dist/); a dist older than src/ silently measures old code (seen once: a
// model's preferred tile width ignored). Warn loudly instead. The CLI tests use the same check to rebuild.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** True when dist/<file> is missing or a file anywhere under src/ is newer (the bundles hold all of src/). */
export function isDistStale(root, file = 'index.js') {
  const built = join(root, 'dist', file);
  return !existsSync(built) || newestMtime(join(root, 'src')) > statSync(built).mtimeMs;
}

/** Prints a warning when a file under src/ is newer than dist/index.js; returns true when stale. */
export function warnIfStaleDist(root) {
  const stale = isDistStale(root);
  if (stale) console.error('WARNING: dist/ is older than src/ — these figures come from the old build; run `npm run build` first');
  return stale;
}
