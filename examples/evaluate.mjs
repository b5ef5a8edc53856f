// Evaluate a segmented volume against a reference: statistics and transport of each phase in one call, a JSON
// report, a self-contained HTML report and a summary table. Here the reference is the bundled Berea crop and the
// "reconstruction" is the same crop mirrored along x: every statistic is the same (the differences read 0), the
// voxels are not (SSIM well below 1) - what a good reconstruction looks like to these measures.
import { writeFile } from 'node:fs/promises';
import { evaluate, formatReportSummary, readVolume, renderHtmlReport, sampleDataPath } from 'microrecon';

const reference = await readVolume(await sampleDataPath('berea_crop48.tif'));
const [nz, ny, nx] = reference.shape;
const data = new Uint8Array(reference.data.length);
for (let z = 0; z < nz; ++z)
  for (let y = 0; y < ny; ++y)
    for (let x = 0; x < nx; ++x) data[(z * ny + y) * nx + x] = reference.data[(z * ny + y) * nx + (nx - 1 - x)];
const volume = { ...reference, data };

const controller = new AbortController(); // controller.abort() would stop the native work (AbortError)
const report = await evaluate(volume, {
  reference,
  spacing: 5.345e-6, // metres per voxel (the Berea scan): adds m^-1, m and mD fields
  signal: controller.signal,
  onProgress: (fraction, stage) => process.stderr.write(`\r${(fraction * 100).toFixed(0).padStart(3)}% ${stage}\x1b[K`),
});
process.stderr.write('\r\x1b[K');

const pore = report.phases.find((p) => p.label === 0);
console.log(`porosity ${pore.volumeFraction.toFixed(4)}, tortuosity factor along x ${pore.tortuosity.x.tortuosityFactor?.toFixed(3)}, ` +
  `S2 RMSE along x ${report.comparison.phases[0].twoPointCorrelationRmse.x.toExponential(2)}, SSIM ${report.comparison.ssim.toFixed(3)}`);
console.log(formatReportSummary(report, 'mirrored crop'));

await writeFile('evaluation.json', JSON.stringify(report, null, 2));
await writeFile('evaluation.html', renderHtmlReport(report, volume, reference, { volumeName: 'mirrored', referenceName: 'Berea crop' }));
console.log('wrote evaluation.json and evaluation.html');
