// The web app's bundle: the SDK straight from src/ (TypeScript via esbuild), its browser-safe dependencies,
// niivue and chart.js, in one ES module. The SDK reaches Node built-ins only on Node-only paths (file paths, the
// native addon, Dawn); in the bundle they are stubs whose functions throw, so those paths fail with the SDK's
// own messages instead of breaking the page's module graph. Also writes dist/manifest.json, the shipped models
// and the bundled samples the page offers.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import esbuild from 'rollup-plugin-esbuild';

const root = new URL('../..', import.meta.url).pathname;
const SAMPLES = [
  { file: 'berea_slice64.png', what: 'Berea sandstone, one 64×64 slice' },
  { file: 'ketton_slice64.png', what: 'Ketton limestone, one 64×64 slice' },
  { file: 'nmc_sections7.tif', what: 'NMC cathode, 7 serial sections of 64×64' },
];

function manifest() {
  return {
    name: 'manifest',
    generateBundle() {
      const models = readdirSync(join(root, 'models'))
        .filter((m) => existsSync(join(root, 'models', m, 'config.json')))
        .sort()
        .map((name) => {
          const c = JSON.parse(readFileSync(join(root, 'models', name, 'config.json'), 'utf8'));
          return { name, mode: c.mode, size: c.size, phases: c.phases, sections: c.sections };
        });
      this.emitFile({ type: 'asset', fileName: 'manifest.json', source: JSON.stringify({ models, samples: SAMPLES }, null, 2) });
    },
  };
}

function nodeStubs() {
  return {
    name: 'node-stubs',
    resolveId: (id) => (id.startsWith('node:') || id === 'webgpu' ? `\0stub:${id}` : null),
    load(id) {
      if (!id.startsWith('\0stub:')) return null;
      const what = JSON.stringify(id.slice(6));
      return {
        code: `export default new Proxy({}, { get: (_, k) => (k === 'then' ? undefined : () => { throw new Error(${what} + ' is not available in a browser'); }) });`,
        syntheticNamedExports: true,
      };
    },
  };
}

export default {
  input: 'examples/web-app/src/main.ts',
  plugins: [
    nodeStubs(),
    nodeResolve({ browser: true, preferBuiltins: false }),
    commonjs(),
    esbuild({ target: 'es2022', minify: true, define: { __VERSION__: '"web-app"' } }),
    manifest(),
  ],
  output: { dir: 'examples/web-app/dist', format: 'es', entryFileNames: 'app.js', inlineDynamicImports: true, sourcemap: true },
  onwarn(w, warn) {
    if (w.code === 'CIRCULAR_DEPENDENCY' || w.code === 'EVAL') return;
    warn(w);
  },
};
