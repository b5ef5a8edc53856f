// Sections mode: k serial sections of a held-out block -> the block. 3D SSIM (7^3 uniform window, labels / (P-1),
// data range 1) and PSNR of the model and of two baselines (nearest-section fill, shape-based interpolation).
import { crop, heldOutCorners, randomCorners, rng, sliceZ } from './lib.mjs';
import { readHeldOutVolume } from './single.mjs';

const mean = (xs) => xs.reduce((s, v) => s + v, 0) / xs.length;

/** SSIM (uniform window) and PSNR of a label block against the real one. */
async function score(sdk, data, real, n, phases) {
  const s = await sdk.compareVolumes({ shape: [n, n, n], data }, { shape: [n, n, n], data: real }, { phases });
  return { ssim: s.ssimUniform, psnr: s.psnr ?? Infinity };
}

/** opts: { blocks, size, seed, genSeed, ks, ssimMargin, dataRoot, log }. */
export async function runSections(sdk, model, opts) {
  const { blocks, size: n, seed, genSeed, log } = opts;
  const ks = opts.ks ?? [3, 5, 7, 9];
  const rec = await sdk.Reconstructor.load(model);
  try {
    const { config, phases } = rec.info;
    const heldOut = config.notes?.data?.heldOut;
    if (!heldOut) throw new Error(`${model}: config.json has no notes.data.heldOut`);
    const dataFile = opts.dataRoot(config.notes.data.sources[0]);
    const vol = await readHeldOutVolume(sdk, dataFile, config.notes.data.labels);
    const corners = randomCorners(heldOutCorners(vol.shape, heldOut, n), blocks, rng(seed));
    const real = corners.map((at) => crop(vol, at, [n, n, n]));
    const geom = { phases, depth: n, height: n, width: n };
    const rows = [];
    for (const k of ks) {
      const positions = sdk.sectionPositions(n, k);
      const t0 = performance.now();
      const per = { model: [], nearest: [], shapeBased: [] };
      let refused = null;
      for (const b of real) {
        const sections = positions.map((z) => sliceZ(b, n, z).slice());
        per.nearest.push(await score(sdk, sdk.nearestSectionFill(sections, geom), b, n, phases));
        per.shapeBased.push(await score(sdk, sdk.shapeBasedInterpolation(sections, geom), b, n, phases));
        if (refused) continue;
        try {
          const input = { shape: [k, n, n], data: Uint8Array.from(sections.flatMap((s) => [...s])) };
          const g = await rec.reconstruct(input, { size: n, seed: genSeed });
          per.model.push(await score(sdk, g.data, b, n, phases));
        } catch (err) {
          // the model takes another k: a typed refusal is a missing model, anything else is a bug to surface
          if (!(err instanceof sdk.InvalidArgumentError)) throw err;
          refused = err.message;
        }
      }
      const avg = (list, key) => (list.length ? mean(list.map((s) => s[key])) : null);
      const row = {
        k, positions,
        nearest: { ssim: avg(per.nearest, 'ssim'), psnr: avg(per.nearest, 'psnr') },
        shapeBased: { ssim: avg(per.shapeBased, 'ssim'), psnr: avg(per.shapeBased, 'psnr') },
      };
      if (refused) {
        Object.assign(row, { model: null, status: 'NO MODEL FOR k', refusal: refused, pass: false });
        log(`  ${model} k = ${k}: NO MODEL FOR k (${refused})`);
      } else {
        const m = { ssim: avg(per.model, 'ssim'), psnr: avg(per.model, 'psnr') };
        const margin = { ssim: m.ssim - row.shapeBased.ssim, psnr: m.psnr - row.shapeBased.psnr };
        const wins = per.model.filter((s, i) => s.ssim > per.shapeBased[i].ssim && s.psnr > per.shapeBased[i].psnr).length;
        const pass = margin.ssim >= opts.ssimMargin && margin.psnr > 0;
        Object.assign(row, { model: m, marginVsShapeBased: margin, blocksBetterInBoth: `${wins}/${real.length}`, status: pass ? 'pass' : 'FAIL', pass });
        log(`  ${model} k = ${k}: SSIM ${m.ssim.toFixed(4)} vs shape-based ${row.shapeBased.ssim.toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      }
      rows.push(row);
    }
    return {
      model, data: dataFile, heldOut, size: n, phases, blocks, genSeed, corners, rows,
      criterion: `model mean SSIM >= shape-based + ${opts.ssimMargin} and mean PSNR > shape-based, at every k`,
      pass: rows.every((r) => r.pass),
    };
  } finally {
    rec.dispose();
  }
}
