#!/usr/bin/env node
// Builds the three WebAssembly variants into wasm/dist/ (committed: users never need emscripten) and writes
// wasm/dist/manifest.json (source hash, emcc version, sizes). Needs emscripten (Debian: apt-get install
// emscripten), cmake and ninja. Usage: node scripts/build-wasm.mjs [variant ...]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { VARIANTS, wasmSourceHash } from '../wasm/sources.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'wasm', 'dist');
const wanted = process.argv.slice(2);
for (const v of wanted) if (!VARIANTS.includes(v)) fail(`unknown variant ${v} (${VARIANTS.join(', ')})`);
// Debian's emcc runs its JS optimiser with the system node, which needs Debian's modules (acorn).
const env = { ...process.env, NODE_PATH: [process.env.NODE_PATH, '/usr/share/nodejs'].filter(Boolean).join(':') };

const emcc = spawnSync('emcc', ['--version'], { env, encoding: 'utf8' });
if (emcc.status !== 0) fail('emcc was not found: install emscripten (Debian: apt-get install emscripten)');
const emccVersion = emcc.stdout.split('\n')[0].replace(/^emcc \(.*?\) /, '').trim();

mkdirSync(out, { recursive: true });
// The emscripten loaders are CommonJS; this package is "type": "module".
writeFileSync(join(out, 'package.json'), '{ "type": "commonjs" }\n');

for (const v of wanted.length ? wanted : VARIANTS) {
  const build = join(root, 'build-wasm', v);
  run('emcmake', ['cmake', '-S', join(root, 'wasm'), '-B', build, '-G', 'Ninja', `-DMR_WASM_VARIANT=${v}`, `-DMR_WASM_OUT=${out}`]);
  run('cmake', ['--build', build]);
}

const manifestPath = join(out, 'manifest.json');
let previous = {};
try {
  previous = JSON.parse(readFileSync(manifestPath, 'utf8'));
} catch {}
const variants = { ...(previous.variants ?? {}) };
for (const v of wanted.length ? wanted : VARIANTS) {
  const wasm = readFileSync(join(out, `microrecon-${v}.wasm`));
  const js = readFileSync(join(out, `microrecon-${v}.js`));
  variants[v] = {
    wasmBytes: wasm.length,
    wasmGzipBytes: gzipSync(wasm, { level: 9 }).length,
    jsBytes: js.length + (v === 'simd-threads' ? statSync(join(out, `microrecon-${v}.worker.js`)).size : 0),
  };
}
const manifest = { sourceHash: wasmSourceHash(root), emcc: emccVersion, variants };
writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
console.log(JSON.stringify(manifest, null, 2));

function run(cmd, args) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, env });
  if (r.status !== 0) fail(`${cmd} exited with ${r.status ?? r.signal}`);
}

function fail(why) {
  console.error(`build-wasm: ${why}`);
  process.exit(1);
}
