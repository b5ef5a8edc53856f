import { readVolume, volumeInfo } from '../io/index.js';

export async function infoCommand(file: string, o: { json?: boolean }): Promise<void> {
  const info = volumeInfo(await readVolume(file));
  if (o.json) {
    console.log(JSON.stringify({ file, ...info }, null, 2));
    return;
  }
  const [z, y, x] = info.shape;
  console.log(`${file}`);
  console.log(`  format   ${info.sourceFormat ?? '?'}, ${info.sourceDtype ?? '?'}`);
  console.log(`  shape    ${z} × ${y} × ${x} (z, y, x)${z === 1 ? ' — a 2D image' : ''}, ${info.voxels} voxels`);
  if (info.spacing) console.log(`  spacing  ${info.spacing.join(' × ')}`);
  console.log(`  phases   ${info.labels.length}`);
  info.labels.forEach((value, phase) =>
    console.log(`    phase ${phase}: file value ${String(value).padStart(5)}  fraction ${info.phaseFractions[phase].toFixed(4)}`),
  );
}
