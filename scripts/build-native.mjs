#!/usr/bin/env node
// Builds the Node-API addon with cmake-js (run by `npm install`). In a git checkout a failed build is fatal;
// in an installed package it only warns, because the wasm backend can take over where no compiler exists.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const devCheckout = existsSync(join(root, '.git'));
const force = process.argv.includes('--force');

if (process.env.MICRORECON_SKIP_NATIVE && !force) {
  console.warn('microrecon: MICRORECON_SKIP_NATIVE is set, not building the native addon');
  process.exit(0);
}
const require = createRequire(import.meta.url);
let cli;
try {
  cli = require.resolve('cmake-js/bin/cmake-js');
} catch {
  fail('cmake-js is not installed');
}
const args = [cli, 'compile', '--directory', root, '--out', join(root, 'build')];
if (process.env.MICRORECON_DEBUG) args.push('--debug');
const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
if (r.status !== 0) fail(`cmake-js exited with ${r.status ?? r.signal}`);

function fail(why) {
  const msg = `microrecon: building the native addon failed (${why}). It needs cmake >= 3.18 and a C++17 compiler.`;
  if (devCheckout || force) {
    console.error(msg);
    process.exit(1);
  }
  console.warn(`${msg}\nmicrorecon: continuing without it; the 'cpu' backend will be unavailable.`);
  process.exit(0);
}
