/** The package's root folder (holding package.json), found from this module's location: works from src/, dist/
 * (ESM and CJS bundles) and node_modules alike. Node-only. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && JSON.parse(readFileSync(pj, 'utf8')).name === 'microrecon') return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the microrecon package root');
    dir = up;
  }
}
