// Reconstructs a 64³ volume from the bundled slice with the wasm backend and reports the result on the page
// (and as window.microreconResult, which test/wasm/browser.test.ts reads). Built into dist/ by build.mjs.
import { backends, configureWasm, readVolume, Reconstructor } from '../../dist/index.js';

const SIZE = 64;
const root = new URL('../../', location.href); // the package folder, served as is
const status = document.getElementById('status');

function show(id, data, w, h, offset, stride = 1, rowStride = w) {
  const canvas = document.getElementById(id);
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(w, h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const v = data[offset + y * rowStride + x * stride] ? 230 : 20;
      img.data.set([v, v, v, 255], (y * w + x) * 4);
    }
  ctx.putImageData(img, 0, 0);
}

async function bytes(path) {
  const res = await fetch(new URL(path, root));
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function main() {
  configureWasm({ baseUrl: new URL('wasm/dist/', root).href });
  const wasm = (await backends()).find((b) => b.name === 'wasm');
  if (!wasm?.available) throw new Error(`the wasm backend is unavailable: ${wasm?.reason}`);
  status.textContent = `wasm backend: ${wasm.details.variant}, ${wasm.details.threads} thread(s); loading the model…`;

  const rec = await Reconstructor.fromBytes(
    { name: 'berea', config: new TextDecoder().decode(await bytes('models/berea/config.json')), weights: await bytes('models/berea/model.safetensors') },
    { backend: 'wasm' },
  );
  const slice = await readVolume(await bytes('data/berea_slice64.png'));
  show('input', slice.data, slice.shape[2], slice.shape[1], 0);

  const t0 = performance.now();
  const vol = await rec.reconstruct(slice, { size: SIZE, seed: 1 });
  const seconds = (performance.now() - t0) / 1000;
  rec.dispose();

  const n = SIZE * SIZE;
  show('z', vol.data, SIZE, SIZE, (SIZE / 2) * n);
  show('y', vol.data, SIZE, SIZE, (SIZE / 2) * SIZE, 1, n);
  show('x', vol.data, SIZE, SIZE, SIZE / 2, SIZE, n);
  const counts = [0, 0];
  for (const v of vol.data) counts[v]++;
  let sameAsInput = 0;
  for (let i = 0; i < n; i++) if (vol.data[i] === slice.data[i]) sameAsInput++;
  return {
    ok: true, variant: wasm.details.variant, threads: wasm.details.threads, crossOriginIsolated: globalThis.crossOriginIsolated === true,
    shape: vol.shape, labels: vol.labels, phaseFractions: counts.map((c) => c / vol.data.length),
    firstSliceAgreement: sameAsInput / n, seconds,
  };
}

main().then(
  (r) => {
    status.className = 'ok';
    status.textContent = `success: ${r.shape.join('×')} volume in ${r.seconds.toFixed(1)} s on wasm (${r.variant}, ${r.threads} thread(s))`;
    document.getElementById('result').textContent = JSON.stringify(r, null, 2);
    window.microreconResult = r;
  },
  (err) => {
    status.className = 'error';
    status.textContent = `failed: ${err?.message ?? err}`;
    window.microreconResult = { ok: false, error: String(err?.stack ?? err) };
  },
);
