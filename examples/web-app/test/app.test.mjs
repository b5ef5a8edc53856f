// The web app in headless Chromium (Debian's, driven by playwright-core) with WebGPU on SwiftShader: reconstructs
// a bundled sample on webgpu (and on wasm when that backend is in the build) and checks the labels against the
// Node cpu backend (same model, seed and size), then bad input, cancel and a lost GPU device. Saves a
// screenshot to examples/web-app/test/out/app.png. Needs `npm run build` and the app bundle (npm run test:browser
// does both).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { Reconstructor, readImage, readVolume, sampleDataPath } from '../../../dist/index.js';
import { startServer } from '../server.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SIZE = 32, SEED = 4;
const out = join(import.meta.dirname, 'out');
let server, browser, page;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (or set CHROMIUM_PATH)`);
  server = await startServer(0);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-webgpu-adapter=swiftshader',
      '--enable-features=Vulkan', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-first-run', '--disable-quic', // playwright gives each launch a new empty profile
    ],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => window.__microrecon?.state.status === 'idle' && window.__microrecon.state.input, null, { timeout: 120_000 });
});

after(async () => {
  await browser?.close();
  server?.close();
});

const state = () => page.evaluate(() => JSON.parse(JSON.stringify(window.__microrecon.state)));

async function reconstruct(backend, { model = 'berea', sample = 'berea_slice64.png' } = {}) {
  await page.selectOption('#model', model);
  await page.waitForFunction((s) => window.__microrecon.state.input?.name === s, sample);
  await page.fill('#size', String(SIZE));
  await page.fill('#seed', String(SEED));
  await page.selectOption('#backend', backend);
  await page.click('#run');
  await page.waitForFunction(() => !['running'].includes(window.__microrecon.state.status) && !document.querySelector('#run').disabled, null, { timeout: 600_000 });
  return state();
}

async function cpuLabels(model, sample) {
  const rec = await Reconstructor.load(`builtin:${model}`, { backend: 'cpu' });
  const v = await rec.reconstruct(await readImage(await sampleDataPath(sample)), { size: SIZE, seed: SEED });
  rec.dispose();
  return v.data;
}

function equalFraction(a, b) {
  let same = 0;
  for (let i = 0; i < a.length; i++) same += a[i] === b[i] ? 1 : 0;
  return same / a.length;
}

test('the page lists webgpu as available (SwiftShader adapter)', async () => {
  const s = await state();
  const webgpu = s.backends.find((b) => b.name === 'webgpu');
  assert.ok(webgpu?.available, `webgpu unavailable in Chromium: ${webgpu?.reason}`);
});

test('reconstructs the Berea sample on webgpu, labels as the Node cpu backend', async () => {
  const s = await reconstruct('webgpu');
  assert.equal(s.status, 'done', s.message);
  assert.equal(s.backendUsed, 'webgpu');
  assert.deepEqual(s.result.shape, [SIZE, SIZE, SIZE]);
  const got = await page.evaluate(() => window.__microrecon.volume());
  const eq = equalFraction(got, await cpuLabels('berea', 'berea_slice64.png'));
  console.log(`[browser] webgpu vs node cpu: ${(100 * eq).toFixed(3)} % equal labels, ${(s.result.ms / 1000).toFixed(1)} s in the page`);
  assert.ok(eq >= 0.999, `only ${eq} equal`);
  // the statistics were computed and shown
  assert.ok(Math.abs(s.result.fractions.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  assert.match(await page.textContent('#fractions'), /pore/);
  mkdirSync(out, { recursive: true });
  await page.screenshot({ path: join(out, 'app.png'), fullPage: true });
  // the TIFF download holds the same volume, with the model's file values
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  const file = join(out, download.suggestedFilename());
  await download.saveAs(file);
  const tif = await readVolume(file);
  assert.deepEqual(tif.shape, [SIZE, SIZE, SIZE]);
  assert.deepEqual(Array.from(tif.data), got);
});

test('reconstructs on wasm when the build has it', async (t) => {
  const s0 = await state();
  const wasm = s0.backends.find((b) => b.name === 'wasm');
  if (!wasm?.available) {
    console.warn(`[browser] wasm backend unavailable, its run is skipped: ${wasm?.reason}`);
    t.skip(`wasm unavailable: ${wasm?.reason}`);
    return;
  }
  const s = await reconstruct('wasm');
  assert.equal(s.status, 'done', s.message);
  assert.equal(s.backendUsed, 'wasm');
  const got = await page.evaluate(() => window.__microrecon.volume());
  const eq = equalFraction(got, await cpuLabels('berea', 'berea_slice64.png'));
  console.log(`[browser] wasm vs node cpu: ${(100 * eq).toFixed(3)} % equal labels, ${(s.result.ms / 1000).toFixed(1)} s in the page`);
  assert.ok(eq >= 0.999, `only ${eq} equal`);
});

test('bad input: a non-image and a huge image give a message and the app keeps its input', async () => {
  await page.evaluate(() => window.__microrecon.setInput(Array.from(new TextEncoder().encode('hello, not an image')), 'notes.txt'));
  let s = await state();
  assert.match(s.message, /not an image|cannot|unsupported|format/i);
  assert.equal(s.input.name, 'berea_slice64.png');
  // a PNG whose header claims 20000 x 20000 pixels: refused from the header
  const huge = pngHeader(20000, 20000);
  await page.evaluate((b) => window.__microrecon.setInput(b, 'huge.png'), Array.from(huge));
  s = await state();
  assert.match(s.message, /huge\.png/);
  assert.match(s.message, /too large|at most|limit|exceeds/i);
  assert.equal(s.input.name, 'berea_slice64.png');
});

test('cancel stops a run between tiles', async () => {
  // 64³ from a 32³ model: 27 tiles, the run checks the signal between them
  await page.fill('#size', '64');
  await page.selectOption('#backend', 'webgpu');
  await page.click('#run');
  await page.waitForFunction(() => window.__microrecon.state.status === 'running' && document.querySelector('#progress').value > 0, null, { timeout: 300_000 });
  await page.click('#cancel');
  await page.waitForFunction(() => window.__microrecon.state.status !== 'running', null, { timeout: 300_000 });
  assert.equal((await state()).status, 'cancelled');
});

test('a lost GPU device mid-run: a clear message (or the wasm fallback), then webgpu works again', async () => {
  await page.selectOption('#backend', 'webgpu');
  await page.click('#run');
  await page.waitForFunction(() => window.__microrecon.state.status === 'running');
  await page.waitForTimeout(300);
  await page.evaluate(() => window.__microrecon.loseDevice());
  await page.waitForFunction(() => window.__microrecon.state.status !== 'running' && !document.querySelector('#run').disabled, null, { timeout: 300_000 });
  const s = await state();
  const wasm = s.backends.find((b) => b.name === 'wasm');
  if (wasm?.available) {
    assert.equal(s.status, 'done', s.message);
    assert.equal(s.backendUsed, 'wasm');
    assert.match(s.fallbacks.join(' '), /webgpu: .*lost/i);
    console.log(`[browser] device lost mid-run, fell back: ${s.fallbacks.join('; ')}`);
  } else {
    assert.equal(s.status, 'error');
    assert.match(s.message, /lost/i);
  }
  const again = await reconstruct('webgpu');
  assert.equal(again.status, 'done', again.message);
  assert.equal(again.backendUsed, 'webgpu');
});

test('a browser without a WebGPU adapter: the reason is listed and a run ends in a message', async () => {
  const plain = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    const p = await plain.newPage();
    await p.goto(`http://127.0.0.1:${server.address().port}/`);
    await p.waitForFunction(() => window.__microrecon?.state.status === 'idle', null, { timeout: 120_000 });
    const s0 = await p.evaluate(() => JSON.parse(JSON.stringify(window.__microrecon.state)));
    const webgpu = s0.backends.find((b) => b.name === 'webgpu');
    assert.equal(webgpu.available, false);
    assert.match(webgpu.reason, /adapter|navigator\.gpu/);
    await p.click('#run');
    await p.waitForFunction(() => window.__microrecon.state.status !== 'running' && !document.querySelector('#run').disabled, null, { timeout: 300_000 });
    const s = await p.evaluate(() => JSON.parse(JSON.stringify(window.__microrecon.state)));
    if (s0.backends.find((b) => b.name === 'wasm')?.available) assert.equal(s.status, 'done', s.message);
    else {
      assert.equal(s.status, 'error');
      assert.match(s.message, /no backend can run/);
    }
  } finally {
    await plain.close();
  }
});

/** A PNG signature, an IHDR chunk (8-bit grey) with a valid CRC and IEND: no pixel data. */
function pngHeader(w, h) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const body = new Uint8Array(17);
  const dv = new DataView(body.buffer);
  body.set([0x49, 0x48, 0x44, 0x52]);
  dv.setUint32(4, w);
  dv.setUint32(8, h);
  body.set([8, 0, 0, 0, 0], 12);
  const out = new Uint8Array(8 + 4 + 17 + 4 + 12);
  out.set([137, 80, 78, 71, 13, 10, 26, 10]);
  new DataView(out.buffer).setUint32(8, 13);
  out.set(body, 12);
  new DataView(out.buffer).setUint32(29, crc(body));
  out.set([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82], 33);
  return out;
}
