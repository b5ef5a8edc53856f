/**
 * The in-browser reconstruction app: pick an input and a shipped model, reconstruct on webgpu or wasm with
 * progress and cancel, look at slices, a 3D rendering and statistics, download the volume as TIFF. Failures
 * (bad file, no adapter, a lost device) become a message in the page; the app stays usable and falls back to
 * wasm where it can.
 */
import { AbortError, backends, configureWasm, MicroreconError, Reconstructor, type BackendStatus, type Volume } from '../../../src/index.js';
import { resetBackends, resolveBackend } from '../../../src/backends/registry.js';
import { encodeTiff } from '../../../src/io/tiff-write.js';
import { decodeInput, InputError, slicesFor } from './input.js';
import { statsOf } from './stats.js';
import { drawPlane, show3d, showSlices, showStats } from './views.js';

interface ModelEntry { name: string; mode: 'single' | 'sections'; size: number; phases: number; sections: number }
interface Manifest { models: ModelEntry[]; samples: { file: string; what: string }[] }

// the wasm modules (wasm/dist) as served by server.mjs
configureWasm({ baseUrl: new URL('wasm/dist/', location.href).href });

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  file: $<HTMLInputElement>('file'), drop: $('drop'), sample: $<HTMLSelectElement>('sample'), model: $<HTMLSelectElement>('model'),
  size: $<HTMLInputElement>('size'), seed: $<HTMLInputElement>('seed'), backend: $<HTMLSelectElement>('backend'),
  run: $<HTMLButtonElement>('run'), cancel: $<HTMLButtonElement>('cancel'), progress: $<HTMLProgressElement>('progress'),
  stage: $('stage'), message: $('message'), download: $<HTMLButtonElement>('download'), info: $('input-info'),
};

/** What the page did last, for people (the message) and for the browser test (window.__microrecon). */
const state = {
  status: 'starting' as 'starting' | 'idle' | 'running' | 'done' | 'error' | 'cancelled',
  message: '',
  backendUsed: '' as string,
  fallbacks: [] as string[],
  input: null as { name: string; shape: number[] } | null,
  result: null as { shape: number[]; fractions: number[]; inputFractions: number[]; ms: number; model: string; seed: number } | null,
  backends: [] as BackendStatus[],
};
let manifest: Manifest;
let input: Volume | null = null;
let inputName = '';
let volume: Volume | null = null;
let controller: AbortController | null = null;
const modelBytes = new Map<string, Promise<{ config: string; weights: Uint8Array }>>();

function say(text: string, kind: 'ok' | 'warn' | 'error' | '' = ''): void {
  state.message = text;
  ui.message.textContent = text;
  ui.message.className = kind;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

function model(): ModelEntry {
  return manifest.models.find((m) => m.name === ui.model.value)!;
}

async function loadModelBytes(name: string) {
  let p = modelBytes.get(name);
  if (!p) {
    p = (async () => ({
      config: new TextDecoder().decode(await fetchBytes(`models/${name}/config.json`)),
      weights: await fetchBytes(`models/${name}/model.safetensors`),
    }))();
    p.catch(() => modelBytes.delete(name));
    modelBytes.set(name, p);
  }
  return p;
}

async function refreshBackends(): Promise<void> {
  state.backends = await backends();
  $('backends').innerHTML = state.backends
    .filter((b) => b.name !== 'cuda')
    .map((b) => `<li>${b.available ? '✓' : '✗'} <b>${b.name}</b> ${b.available ? detail(b) : `— ${b.reason}`}</li>`)
    .join('');
}
const detail = (b: BackendStatus) => {
  const d = b.details ?? {};
  const text = d.adapter ? String(d.adapter) : d.variant ? `${d.variant}, ${d.threads} thread${d.threads === 1 ? '' : 's'}` : '';
  return text ? `(${text})` : '';
};
const available = (name: string) => state.backends.some((b) => b.name === name && b.available);

async function setInput(bytes: Uint8Array, name: string): Promise<void> {
  try {
    const v = await decodeInput(bytes, name);
    input = v;
    inputName = name;
    state.input = { name, shape: [...v.shape] };
    const [z, h, w] = v.shape;
    drawPlane($('input-preview'), h, w, (y, x) => v.data[y * w + x]);
    ui.info.textContent = `${name}: ${w}×${h}${z > 1 ? `, ${z} slices` : ''}, ${v.labels?.length ?? '?'} phases`;
    if (state.status !== 'running') say(`Input ready: ${name}.`, 'ok');
  } catch (err) {
    say(err instanceof InputError ? err.message : `Could not read ${name}: ${(err as Error).message}`, 'error');
  }
}

async function loadSample(file: string): Promise<void> {
  await setInput(await fetchBytes(`data/${file}`), file);
}

/** One reconstruction on one backend; throws what the SDK throws. */
async function reconstructOn(backend: string, signal: AbortSignal): Promise<Volume> {
  const m = model();
  const { config, weights } = await loadModelBytes(m.name);
  const rec = await Reconstructor.fromBytes({ config, weights, name: m.name }, { backend });
  try {
    state.backendUsed = backend === 'auto' ? (await resolveBackend('auto', 'conv_forward')).name : backend;
    ui.stage.textContent = `running on ${state.backendUsed}…`;
    const size = Number(ui.size.value);
    if (!Number.isInteger(size) || size < 16 || size > 256) throw new InputError('size must be a whole number from 16 to 256.');
    return await rec.reconstruct(slicesFor(input!, m.mode === 'sections' ? m.sections : 1), {
      size, seed: Number(ui.seed.value) || 0, signal,
      onProgress: (f, stage) => {
        ui.progress.value = f;
        ui.stage.textContent = `${state.backendUsed}: ${stage}`;
      },
    });
  } finally {
    rec.dispose();
  }
}

/** A failure that another backend may not have (GPU trouble), as opposed to bad input or a cancel. */
const backendTrouble = (err: unknown) =>
  !(err instanceof AbortError) && !(err instanceof InputError) && !(err instanceof MicroreconError && err.code === 'ERR_INVALID_ARGUMENT');

async function run(): Promise<void> {
  if (!input) return say('Choose an input image first.', 'error');
  controller = new AbortController();
  state.status = 'running';
  state.fallbacks = [];
  ui.run.disabled = true;
  ui.cancel.disabled = false;
  ui.download.disabled = true;
  ui.progress.value = 0;
  say('');
  const t0 = performance.now();
  let choice = ui.backend.value;
  let lost = false;
  try {
    for (;;) {
      try {
        volume = await reconstructOn(choice, controller.signal);
        break;
      } catch (err) {
        const used = state.backendUsed || choice;
        lost ||= /lost/i.test((err as Error).message);
        if (!backendTrouble(err) || used === 'wasm' || !available('wasm')) throw err;
        state.fallbacks.push(`${used}: ${(err as Error).message}`);
        say(`${used} failed (${(err as Error).message}); falling back to wasm.`, 'warn');
        choice = 'wasm';
      }
    }
    const ms = performance.now() - t0;
    const m = model();
    const inStats = statsOf(slicesFor(input, 1), m.phases, 16);
    const outStats = statsOf(volume, m.phases, 16);
    state.result = { shape: [...volume.shape], fractions: outStats.fractions, inputFractions: inStats.fractions, ms, model: m.name, seed: Number(ui.seed.value) || 0 };
    showSlices(volume);
    showStats(inStats, outStats, m.phases);
    const note3d = await show3d(volume);
    ui.download.disabled = false;
    state.status = 'done';
    say(`Done: ${volume.shape[0]}³ on ${state.backendUsed} in ${(ms / 1000).toFixed(1)} s.${note3d ? ` ${note3d}` : ''}`, 'ok');
  } catch (err) {
    if (err instanceof AbortError) {
      state.status = 'cancelled';
      say('Cancelled.', 'warn');
    } else {
      state.status = 'error';
      lost ||= /lost/i.test((err as Error).message);
      const hint = available('wasm') ? '' : ' (no fallback: the wasm backend is not available in this build)';
      say(`Reconstruction failed on ${state.backendUsed || choice}: ${(err as Error).message}${hint}`, 'error');
    }
  } finally {
    // a lost GPU device is re-created on the next run
    if (lost) resetBackends();
    await refreshBackends();
    controller = null;
    ui.run.disabled = false;
    ui.cancel.disabled = true;
    if (state.status === 'running') state.status = 'idle';
  }
}

function download(): void {
  if (!volume) return;
  const labels = volume.labels;
  const data = labels && labels.every((l) => l >= 0 && l <= 255) ? volume.data.map((p) => labels[p]) : volume.data;
  const parts = encodeTiff(data, volume.shape as [number, number, number], { compression: 'deflate', description: `microrecon ${model().name} seed ${ui.seed.value}` });
  const url = URL.createObjectURL(new Blob(parts as BlobPart[], { type: 'image/tiff' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `microrecon-${model().name}-${volume.shape[0]}-seed${ui.seed.value}.tif`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function start(): Promise<void> {
  manifest = (await (await fetch('dist/manifest.json')).json()) as Manifest;
  ui.model.innerHTML = manifest.models.map((m) => `<option value="${m.name}">${m.name} (${m.mode === 'sections' ? `${m.sections} sections` : 'one slice'}, ${m.phases} phases)</option>`).join('');
  ui.sample.innerHTML = `<option value="">—</option>` + manifest.samples.map((s) => `<option value="${s.file}">${s.what}</option>`).join('');
  ui.model.onchange = async () => {
    const m = model();
    ui.size.value = String(m.size);
    const sample = m.mode === 'sections' ? 'nmc_sections7.tif' : m.name === 'ketton' ? 'ketton_slice64.png' : 'berea_slice64.png';
    ui.sample.value = sample;
    await loadSample(sample);
  };
  ui.sample.onchange = () => ui.sample.value && loadSample(ui.sample.value);
  ui.file.onchange = async () => {
    const f = ui.file.files?.[0];
    if (f) await setInput(new Uint8Array(await f.arrayBuffer()), f.name);
  };
  ui.drop.ondragover = (e) => (e.preventDefault(), ui.drop.classList.add('over'));
  ui.drop.ondragleave = () => ui.drop.classList.remove('over');
  ui.drop.ondrop = async (e) => {
    e.preventDefault();
    ui.drop.classList.remove('over');
    const f = e.dataTransfer?.files?.[0];
    if (f) await setInput(new Uint8Array(await f.arrayBuffer()), f.name);
  };
  ui.run.onclick = () => void run();
  ui.cancel.onclick = () => controller?.abort();
  ui.download.onclick = download;
  await refreshBackends();
  ui.backend.value = 'auto';
  await ui.model.onchange?.(new Event('change'));
  state.status = 'idle';
  if (!available('webgpu') && !available('wasm')) say('Neither WebGPU nor WebAssembly is available here: see the backend list for the reasons.', 'error');
}

// hooks for the browser test (and for curious users in the console)
(globalThis as Record<string, unknown>).__microrecon = {
  state,
  run,
  setInput: (bytes: number[] | Uint8Array, name: string) => setInput(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes), name),
  /** the phase indices of the last reconstruction */
  volume: () => (volume ? Array.from(volume.data) : null),
  /** destroys the WebGPU device, as a driver reset would */
  loseDevice: async () => ((await resolveBackend('webgpu', 'unary_forward')) as unknown as { device: GPUDevice }).device.destroy(),
};

start().catch((err) => {
  state.status = 'error';
  say(`The app could not start: ${(err as Error).message}`, 'error');
});
