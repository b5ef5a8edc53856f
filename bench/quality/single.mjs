// Single mode (one slice at z = 0 -> a block): set statistics of generated vs real held-out blocks, and whether
// the input matters (agreement of z = 1..4 with the block's own slices vs with unrelated blocks).
import { agreement, crop, heldOutCorners, meanInterval, randomCorners, rng, sliceZ } from './lib.mjs';
import { blockStats, compareSets } from './stats.mjs';

/** Reads a model's training volume as phase indices of the model (file values mapped through notes.data.labels). */
export async function readHeldOutVolume(sdk, file, modelLabels) {
  const v = await sdk.readVolume(file);
  if (!modelLabels || !v.labels) return v;
  const map = v.labels.map((val) => modelLabels.indexOf(val));
  if (map.some((m) => m < 0)) throw new Error(`${file}: values ${v.labels} are not the model's phases ${modelLabels}`);
  if (map.every((m, i) => m === i)) return v;
  const data = new Uint8Array(v.data.length);
  for (let i = 0; i < data.length; i++) data[i] = map[v.data[i]];
  return { ...v, data };
}

/**
 * opts: { blocks, pool, size, seed, genSeed, draws, near: [1..4], dataRoot, log, reconstruct }: `reconstruct` holds
 * extra Reconstructor options (tile, overlap, depthOverlap, ...). `model` is the name passed to
 * Reconstructor.load; dataRoot resolves the config's data paths (relative to the repository root).
 */
export async function runSingle(sdk, model, opts) {
  const { blocks, pool: poolSize, size: n, seed, genSeed, draws, log } = opts;
  const near = opts.near ?? [1, 2, 3, 4];
  const rec = await sdk.Reconstructor.load(model);
  try {
    const { config, phases } = rec.info;
    const heldOut = config.notes?.data?.heldOut;
    if (!heldOut) throw new Error(`${model}: config.json has no notes.data.heldOut; cannot tell which region training never saw`);
    const dataFile = opts.dataRoot(config.notes.data.sources[0]);
    const vol = await readHeldOutVolume(sdk, dataFile, config.notes.data.labels);
    const box = heldOutCorners(vol.shape, heldOut, n);
    const corners = randomCorners(box, blocks, rng(seed));
    const poolCorners = randomCorners(box, poolSize, rng(seed + 1000));
    const real = corners.map((at) => crop(vol, at, [n, n, n]));

    const t0 = performance.now();
    const generated = [];
    for (const b of real) {
      const g = await rec.reconstruct({ shape: [1, n, n], data: sliceZ(b, n, 0).slice() }, { ...opts.reconstruct, size: n, seed: genSeed });
      generated.push(g.data);
    }
    const genSeconds = (performance.now() - t0) / 1000;
    log(`  ${model}: ${blocks} blocks generated in ${genSeconds.toFixed(1)} s`);

    const t1 = performance.now();
    const realStats = [], genStats = [], poolStats = [];
    for (const d of real) realStats.push(await blockStats(sdk, d, n, phases));
    for (const d of generated) genStats.push(await blockStats(sdk, d, n, phases));
    for (const at of poolCorners) poolStats.push(await blockStats(sdk, crop(vol, at, [n, n, n]), n, phases));
    log(`  ${model}: statistics of ${2 * blocks + poolSize} blocks in ${((performance.now() - t1) / 1000).toFixed(1)} s`);

    const rows = compareSets(genStats, realStats, poolStats, { draws, seed: seed + 2000 });
    // control: another set of real held-out blocks judged as if generated. How often real data fails the same rows
    // tells how to read a failure (about 1 in 20 rows by construction, more where blocks overlap).
    const controlCorners = randomCorners(box, blocks, rng(seed + 4000));
    const controlStats = [];
    for (const at of controlCorners) controlStats.push(await blockStats(sdk, crop(vol, at, [n, n, n]), n, phases));
    const controlRows = compareSets(controlStats, realStats, poolStats, { draws, seed: seed + 2000 });
    const judged = controlRows.filter((r) => r.pass !== null);
    const control = {
      corners: controlCorners,
      rowsWithin: `${judged.filter((r) => r.pass).length}/${judged.length}`,
      outside: judged.filter((r) => !r.pass).map((r) => r.statistic),
      statistics: controlRows.map(({ statistic, difference, threshold, pass }) => ({ statistic, difference, threshold, pass })),
    };

    // input must matter: per block, mean agreement over z in `near` with its own real slices and with every other block's
    const nearOf = (gen, i) => {
      let own = 0, other = 0, copyOwn = 0, copyOther = 0, toInput = 0;
      const input = sliceZ(real[i], n, 0);
      for (const z of near) {
        own += agreement(sliceZ(gen, n, z), sliceZ(real[i], n, z));
        copyOwn += agreement(input, sliceZ(real[i], n, z));
        toInput += agreement(sliceZ(gen, n, z), input);
        for (let j = 0; j < real.length; j++) {
          if (j === i) continue;
          other += agreement(sliceZ(gen, n, z), sliceZ(real[j], n, z)) / (real.length - 1);
          copyOther += agreement(input, sliceZ(real[j], n, z)) / (real.length - 1);
        }
      }
      return { own: own / near.length, other: other / near.length, copyOwn: copyOwn / near.length, copyOther: copyOther / near.length, toInput: toInput / near.length };
    };
    const per = generated.map(nearOf);
    const mean = (k) => per.reduce((s, p) => s + p[k], 0) / per.length;
    const gap = meanInterval(per.map((p) => p.own - p.other), { seed: seed + 3000 });
    const inputMatters = {
      slices: near,
      generatedVsOwn: mean('own'),
      generatedVsUnrelated: mean('other'),
      copyInputVsOwn: mean('copyOwn'),
      copyInputVsUnrelated: mean('copyOther'),
      // near 1: the model repeats the input slice there rather than continuing it
      generatedVsInputSlice: mean('toInput'),
      margin: gap.mean,
      marginInterval95: [gap.lo, gap.hi],
      // "clearly better": a margin of at least 0.05 whose 95 % interval over blocks stays above 0
      criterion: 'margin >= 0.05 and its 95 % bootstrap interval (over blocks) above 0',
      pass: gap.mean >= 0.05 && gap.lo > 0,
    };
    return {
      model, data: dataFile, heldOut, size: n, phases, blocks, genSeed, corners, poolSize, poolCorners,
      generationSeconds: genSeconds, statistics: rows, inputMatters, control,
      pass: rows.every((r) => r.pass !== false) && inputMatters.pass,
    };
  } finally {
    rec.dispose();
  }
}
