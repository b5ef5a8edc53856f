// 2D-only mode (anisotropic steel): volumes generated from held-out crops of the XY micrograph; each plane family's
// slice statistics (phase fraction, 2D S2 along both in-plane axes) against held-out crops of that plane's image.
import { crop, randomCorners, rng } from './lib.mjs';
import { compareSets } from './stats.mjs';

// Plane -> the volume axes along its image columns (image x) and rows (image y), as the trainer slices them
// (src/trainer/data.ts PLANE_AXIS: xy = slices across z, rows y, columns x; xz: rows z, columns x; yz: rows z, columns y).
export const PLANE_IMAGE_AXES = { xy: { x: 'x', y: 'y' }, xz: { x: 'x', y: 'z' }, yz: { x: 'y', y: 'z' } };

/** A micrograph as the trainer reads it: labels as they are, greyscale segmented by Otsu's threshold. */
async function readSegmented(sdk, file) {
  try {
    return await sdk.readImage(file);
  } catch (err) {
    if (err instanceof sdk.MicroreconError && /label|distinct|threshold|grey/i.test(err.message)) return sdk.readImage(file, { threshold: 'otsu' });
    throw err;
  }
}

/** Slice statistics of a 2D crop (shape [1, n, n]): fraction of phase 0 and S2 per phase along image x and y. */
async function cropStats(sdk, data, n, phases, maxLag) {
  const out = {};
  const img = { shape: [1, n, n], data };
  for (let p = 0; p < phases; p++) {
    let c = 0;
    for (let i = 0; i < data.length; i++) if (data[i] === p) c++;
    if (phases > 2 || p === 0) out[`fraction[${p}]`] = [c / data.length];
    const s = c ? (await sdk.phaseStatistics(img, p, { statistics: ['twoPoint'], maxLag })).twoPointCorrelation : null;
    for (const a of ['x', 'y']) out[`S2[${p}].${a}`] = s ? s[a] : new Array(maxLag + 1).fill(0);
  }
  return out;
}

/** The same statistics of a volume's slices across one plane family (means over the slices = the volume's S2 per axis). */
function planeStats(volStats, plane, phases) {
  const out = {};
  for (let p = 0; p < phases; p++) {
    if (phases > 2 || p === 0) out[`fraction[${p}]`] = volStats[p].fraction;
    for (const a of ['x', 'y']) out[`S2[${p}].${a}`] = volStats[p].s2[PLANE_IMAGE_AXES[plane][a]];
  }
  return out;
}

/** opts: { volumes, pool, size, seed, genSeed, draws, maxLag, dataRoot, log }. */
export async function runSteel(sdk, model, opts) {
  const { volumes, pool: poolSize, size: n, seed, genSeed, draws, log } = opts;
  const maxLag = opts.maxLag ?? 20;
  const rec = await sdk.Reconstructor.load(model);
  try {
    const { config, phases } = rec.info;
    const data = config.notes?.data;
    if (!data?.planes || !data?.heldOut) throw new Error(`${model}: config.json has no notes.data.planes / heldOut (not a 2D-mode model?)`);
    const root = opts.dataRoot;
    const images = {};
    const regions = {};
    for (const plane of ['xy', 'xz', 'yz']) {
      const file = root(data.planes[plane]);
      const img = await readSegmented(sdk, file);
      const [, h, w] = img.shape;
      // the held-out rows exactly as the trainer cut them (heldOutPlaneCrops)
      const from = h - Math.max(Math.ceil(h * data.heldOut.fraction - 1e-9), config.size);
      if (h - from < n || w < n) throw new Error(`${file}: held-out rows ${from}..${h} cannot hold ${n}x${n} crops`);
      images[plane] = img;
      regions[plane] = { file, rows: [from, h], box: { lo: [0, from, 0], hi: [0, h - n, w - n] } };
    }
    const cropAt = (plane, at) => crop(images[plane], at, [1, n, n]);
    const inputs = randomCorners(regions.xy.box, volumes, rng(seed));
    const t0 = performance.now();
    const volStats = [];
    for (const at of inputs) {
      const g = await rec.reconstruct({ shape: [1, n, n], data: cropAt('xy', at) }, { size: n, seed: genSeed });
      const per = [];
      for (let p = 0; p < phases; p++) {
        let c = 0;
        for (let i = 0; i < g.data.length; i++) if (g.data[i] === p) c++;
        const s = c ? (await sdk.phaseStatistics({ shape: [n, n, n], data: g.data }, p, { statistics: ['twoPoint'], maxLag })).twoPointCorrelation : null;
        const zero = new Array(maxLag + 1).fill(0);
        per.push({ fraction: [c / g.data.length], s2: s ?? { x: zero, y: zero, z: zero } });
      }
      volStats.push(per);
    }
    log(`  ${model}: ${volumes} volumes generated and measured in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const planes = {};
    for (const [pi, plane] of ['xy', 'xz', 'yz'].entries()) {
      // the real set: the input crops for xy (same places), seeded random held-out crops for xz / yz
      const realCorners = plane === 'xy' ? inputs : randomCorners(regions[plane].box, volumes, rng(seed + 10 + pi));
      const poolCorners = randomCorners(regions[plane].box, poolSize, rng(seed + 1000 + pi));
      const real = [], pool = [];
      for (const at of realCorners) real.push(await cropStats(sdk, cropAt(plane, at), n, phases, maxLag));
      for (const at of poolCorners) pool.push(await cropStats(sdk, cropAt(plane, at), n, phases, maxLag));
      const gen = volStats.map((v) => planeStats(v, plane, phases));
      planes[plane] = { ...regions[plane], imageAxes: PLANE_IMAGE_AXES[plane], realCorners, statistics: compareSets(gen, real, pool, { draws, seed: seed + 2000 }) };
    }
    // can the three images be sections of one material at all? (shared-axis correlations, see src/trainer/plane-consistency.ts)
    const imageConsistency = sdk.planeConsistency(images, { phases, maxLag: 32 });
    return {
      model, size: n, phases, volumes, genSeed, inputCorners: inputs, poolSize, planes, imageConsistency,
      note: 'threshold: 95th percentile of the distance between two sets of as many real crops as volumes (a volume averages many slices, so this is lenient)',
      pass: Object.values(planes).every((p) => p.statistics.every((r) => r.pass !== false)),
    };
  } finally {
    rec.dispose();
  }
}
