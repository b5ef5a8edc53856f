#!/usr/bin/env node
// The `microrecon` command: runs the built CLI (dist/cli.js, made by `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error('microrecon: dist/cli.js is missing; run `npm run build` in the package folder first');
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv);
