// The inputs of the wasm build and their hash, recorded in wasm/dist/manifest.json by scripts/build-wasm.mjs
// and compared by test/wasm/artifacts.test.ts, so committed .wasm files cannot silently lag the C++ sources.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const VARIANTS = ['plain', 'simd', 'simd-threads'];

/** Repository-relative paths of every file the wasm build compiles or is configured by, sorted. */
export function wasmSources(root) {
  const pick = (dir, ok) => readdirSync(join(root, dir)).filter(ok).map((f) => `${dir}/${f}`);
  const cxx = (f) => /\.(cpp|h)$/.test(f) && !/_(avx2|avx512)\.cpp$/.test(f);
  return [
    ...pick('native/core', cxx),
    ...pick('native/cpu', cxx),
    'wasm/api.cpp',
    'wasm/CMakeLists.txt',
  ].sort();
}

export function wasmSourceHash(root) {
  const h = createHash('sha256');
  for (const f of wasmSources(root)) h.update(f).update('\0').update(readFileSync(join(root, f))).update('\0');
  return h.digest('hex');
}
