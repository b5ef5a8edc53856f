#!/usr/bin/env node
// A tiny static server for the web app, with the headers that make the page cross-origin isolated (COOP/COEP:
// SharedArrayBuffer, hence wasm threads). Serves the app folder at /, the shipped models at /models/, the
// bundled samples at /data/ and the WebAssembly modules at /wasm/dist/. Loopback only.
//   node examples/web-app/server.mjs [--port 8080]
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '../..');
const MOUNTS = [['/models/', join(root, 'models')], ['/data/', join(root, 'data')], ['/wasm/dist/', join(root, 'wasm', 'dist')], ['/', here]];
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json',
  '.map': 'application/json', '.wasm': 'application/wasm', '.png': 'image/png', '.tif': 'image/tiff', '.css': 'text/css',
  '.safetensors': 'application/octet-stream',
};

/** The file behind a URL path, or null (never outside a mount). */
function fileFor(urlPath) {
  const path = decodeURIComponent(urlPath.split('?')[0]);
  for (const [prefix, dir] of MOUNTS) {
    if (!path.startsWith(prefix)) continue;
    const rel = normalize(path.slice(prefix.length) || 'index.html');
    if (rel.startsWith('..')) return null;
    const file = join(dir, rel);
    try {
      if (statSync(file).isFile()) return file;
    } catch {
      // try the next mount
    }
  }
  return null;
}

export function startServer(port = 0) {
  const server = createServer((req, res) => {
    const file = fileFor(req.url ?? '/');
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-cache',
    };
    if (!file) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--port');
  const server = await startServer(i > 0 ? Number(process.argv[i + 1]) : 8080);
  console.log(`microrecon web app: http://127.0.0.1:${server.address().port}/`);
}
