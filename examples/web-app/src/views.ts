/** The result views: three orthogonal slices with sliders, a niivue 3D rendering, and chart.js curves. */
import { Niivue } from '@niivue/niivue';
import { Chart, registerables } from 'chart.js';
import type { Volume } from '../../../src/index.js';
import type { Stats } from './stats.js';

Chart.register(...registerables);

const PALETTE: [number, number, number][] = [[20, 20, 30], [225, 215, 190], [200, 80, 60], [70, 130, 200], [120, 190, 90]];
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** Draws an h×w plane of phase indices into a canvas (one pixel per voxel; CSS scales it). */
export function drawPlane(canvas: HTMLCanvasElement, h: number, w: number, at: (y: number, x: number) => number): void {
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [r, g, b] = PALETTE[at(y, x) % PALETTE.length];
      const o = 4 * (y * w + x);
      img.data[o] = r, img.data[o + 1] = g, img.data[o + 2] = b, img.data[o + 3] = 255;
    }
  ctx.putImageData(img, 0, 0);
}

export function showSlices(v: Volume): void {
  const [n, h, w] = v.shape;
  const at = (z: number, y: number, x: number) => v.data[(z * h + y) * w + x];
  const sliders = { z: $<HTMLInputElement>('z'), y: $<HTMLInputElement>('y'), x: $<HTMLInputElement>('x') };
  const draw = () => {
    const z = +sliders.z.value, y = +sliders.y.value, x = +sliders.x.value;
    $('z-val').textContent = String(z);
    $('y-val').textContent = String(y);
    $('x-val').textContent = String(x);
    drawPlane($('xy'), h, w, (r, c) => at(z, r, c));
    drawPlane($('xz'), n, w, (r, c) => at(r, y, c));
    drawPlane($('yz'), n, h, (r, c) => at(r, c, x));
  };
  for (const [k, s] of Object.entries(sliders)) {
    s.max = String((k === 'z' ? n : k === 'y' ? h : w) - 1);
    s.value = String(Math.floor(+s.max / 2));
    s.oninput = draw;
  }
  draw();
}

/** A NIfTI-1 file of the pore space (phase 0 -> 255), for niivue. */
function poreNifti(v: Volume): ArrayBuffer {
  const [nz, ny, nx] = v.shape;
  const buf = new ArrayBuffer(352 + nx * ny * nz);
  const dv = new DataView(buf);
  dv.setInt32(0, 348, true);
  [3, nx, ny, nz, 1, 1, 1, 1].forEach((d, i) => dv.setInt16(40 + 2 * i, d, true));
  dv.setInt16(70, 2, true); // uint8
  dv.setInt16(72, 8, true);
  for (let i = 0; i < 8; i++) dv.setFloat32(76 + 4 * i, 1, true);
  dv.setFloat32(108, 352, true); // vox_offset
  dv.setFloat32(112, 1, true); // scl_slope
  dv.setFloat32(124, 255, true); // cal_max
  dv.setInt16(254, 1, true); // sform_code
  [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]].forEach((row, r) => row.forEach((x, c) => dv.setFloat32(280 + 16 * r + 4 * c, x, true)));
  new Uint8Array(buf, 344, 4).set([0x6e, 0x2b, 0x31, 0]); // "n+1\0"
  const out = new Uint8Array(buf, 352);
  for (let i = 0; i < v.data.length; i++) out[i] = v.data[i] === 0 ? 255 : 0;
  return buf;
}

let nv: Niivue | null = null;

/** The 3D view; resolves false (with the reason logged to the page) when WebGL2 is missing. */
export async function show3d(v: Volume): Promise<string | null> {
  try {
    if (!nv) {
      nv = new Niivue({ backColor: [1, 1, 1, 1], show3Dcrosshair: false, isOrientCube: false });
      await nv.attachToCanvas($<HTMLCanvasElement>('render'));
    }
    for (const vol of [...nv.volumes]) nv.removeVolume(vol);
    await nv.loadFromArrayBuffer(poreNifti(v), 'pores.nii');
    nv.setSliceType(nv.sliceTypeRender);
    nv.setRenderAzimuthElevation(120, 20);
    return null;
  } catch (err) {
    return `3D view unavailable: ${(err as Error).message}`;
  }
}

const charts: Chart[] = [];

export function showStats(input: Stats, output: Stats, phases: number): void {
  const t = $<HTMLTableElement>('fractions');
  const fmt = (x: number) => (100 * x).toFixed(2) + ' %';
  t.innerHTML =
    `<tr><th>phase</th><th>input slice</th><th>reconstruction</th></tr>` +
    Array.from({ length: phases }, (_, p) => `<tr><td>${p}${p === 0 ? ' (pore)' : ''}</td><td>${fmt(input.fractions[p] ?? 0)}</td><td>${fmt(output.fractions[p] ?? 0)}</td></tr>`).join('') +
    `<tr><td>mean pore chord</td><td>${input.meanChord.toFixed(2)} vx</td><td>${output.meanChord.toFixed(2)} vx</td></tr>`;
  for (const c of charts.splice(0)) c.destroy();
  const names = ['x', 'y', 'z'];
  const s2 = [
    ...input.s2.map((d, a) => ({ label: `input ${names[a]}`, data: d, borderDash: [5, 3], borderColor: ['#888', '#bbb'][a], pointRadius: 0 })),
    ...output.s2.map((d, a) => ({ label: `recon ${names[a]}`, data: d, borderColor: ['#d33', '#37c', '#3a3'][a], pointRadius: 0 })),
  ];
  const lags = Array.from({ length: Math.max(...s2.map((s) => s.data.length)) }, (_, i) => i);
  charts.push(new Chart($<HTMLCanvasElement>('s2'), {
    type: 'line',
    data: { labels: lags, datasets: s2 },
    options: { animation: false, maintainAspectRatio: false, plugins: { title: { display: true, text: 'S2 of the pore phase vs lag (voxels)' } } },
  }));
  const len = Math.max(input.chords.length, output.chords.length);
  charts.push(new Chart($<HTMLCanvasElement>('chords'), {
    type: 'bar',
    data: {
      labels: Array.from({ length: len }, (_, i) => i),
      datasets: [
        { label: 'input', data: input.chords, backgroundColor: '#999' },
        { label: 'reconstruction', data: output.chords, backgroundColor: '#d33' },
      ],
    },
    options: { animation: false, maintainAspectRatio: false, plugins: { title: { display: true, text: 'pore chord length distribution (voxels)' } } },
  }));
}
