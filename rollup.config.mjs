// One ESM and one CJS bundle of the SDK plus a bundled .d.ts; the CLI is a separate ESM entry.
import esbuild from 'rollup-plugin-esbuild';
import dts from 'rollup-plugin-dts';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
// Dependencies stay external: users install them; node: builtins are never bundled.
const external = (id) =>
  id.startsWith('node:') || Object.keys(pkg.dependencies ?? {}).some((d) => id === d || id.startsWith(`${d}/`));
// esbuild only strips types (fast); `npm run typecheck` (tsc) checks them and runs in `npm test`.
const ts = () => esbuild({ target: 'node20', sourceMap: true, define: { __VERSION__: JSON.stringify(pkg.version) } });

export default [
  {
    input: { index: 'src/index.ts', cli: 'src/cli/main.ts' },
    external,
    plugins: [ts()],
    output: [{ dir: 'dist', format: 'es', entryFileNames: '[name].js', sourcemap: true, chunkFileNames: 'chunks/[name]-[hash].js' }],
  },
  {
    input: 'src/index.ts',
    external,
    plugins: [ts()],
    output: [{ file: 'dist/index.cjs', format: 'cjs', sourcemap: true, exports: 'named', inlineDynamicImports: true }],
  },
  {
    input: 'src/index.ts',
    external,
    plugins: [dts()],
    output: [{ file: 'dist/index.d.ts', format: 'es' }],
  },
];
