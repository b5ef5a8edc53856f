#!/usr/bin/env node
// Bundles main.js (and the SDK from ../../dist) for browsers into dist/. Node-only code is reached through
// dynamic imports only, so with code splitting it stays in chunks the page never loads.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
await build({
  entryPoints: [join(here, 'main.js')],
  outdir: join(here, 'dist'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  external: ['node:*'],
  logLevel: 'warning',
});
