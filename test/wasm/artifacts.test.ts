/**
 * The built wasm modules ship in the package: committed to git (not ignored), listed in package.json `files`,
 * under the size goal, and built from the current C++ sources (wasm/dist/manifest.json records their hash).
 * A stale build fails where emscripten is installed (run `npm run build:wasm`); without emscripten (CI) it is
 * reported loudly, since rebuilding is impossible there.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs helper shared with scripts/build-wasm.mjs
import { VARIANTS, wasmSourceHash } from '../../wasm/sources.mjs';

const root = join(import.meta.dirname, '../..');
const dist = join(root, 'wasm', 'dist');
const GZIP_GOAL = 2 * 1024 * 1024;
const manifest = JSON.parse(readFileSync(join(dist, 'manifest.json'), 'utf8'));
const files = (VARIANTS as string[]).flatMap((v) => [`microrecon-${v}.js`, `microrecon-${v}.wasm`]).concat('microrecon-simd-threads.worker.js', 'package.json', 'manifest.json');

describe('wasm artifacts', () => {
  it('every variant is built and committable (not git-ignored)', () => {
    for (const f of files) expect(existsSync(join(dist, f)), f).toBe(true);
    const ignored = spawnSync('git', ['check-ignore', ...files.map((f) => `wasm/dist/${f}`)], { cwd: root, encoding: 'utf8' });
    expect(ignored.stdout.trim()).toBe('');
  });

  it('package.json ships them', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.files).toContain('wasm/dist');
  });

  it(`each variant is under ${GZIP_GOAL / 2 ** 20} MiB gzipped`, () => {
    for (const v of VARIANTS as string[]) {
      const gz = gzipSync(readFileSync(join(dist, `microrecon-${v}.wasm`)), { level: 9 }).length;
      const js = gzipSync(readFileSync(join(dist, `microrecon-${v}.js`)), { level: 9 }).length;
      console.log(`wasm ${v}: ${(gz / 1024).toFixed(0)} KiB wasm + ${(js / 1024).toFixed(0)} KiB loader, gzipped`);
      expect(gz + js).toBeLessThan(GZIP_GOAL);
    }
  });

  it('was built from the current C++ sources', () => {
    const current = wasmSourceHash(root);
    if (current === manifest.sourceHash) return;
    const emcc = spawnSync('emcc', ['--version'], { encoding: 'utf8' }).status === 0;
    const msg = 'wasm/dist is older than the C++ sources it is built from: run `npm run build:wasm` and commit wasm/dist';
    if (!emcc) {
      console.warn(`[wasm] STALE BUILD: ${msg} (emscripten is not installed here, so this is not failed)`);
      return;
    }
    expect.fail(msg);
  });
});
