/** Building the generator's input tensors from label slices (host side). */
import { InvalidArgumentError } from '../core/errors.js';
import { checkTensor, tensor, type Tensor } from '../core/tensor.js';
import type { ModelConfig } from './config.js';
import type { GeneratorInputs } from './generator.js';
import { baselineLogits, interpolatedDistances, oneHot } from './interpolate.js';

export interface PrepareOptions {
  /** slice height (default config.size) */
  height?: number;
  /** slice width (default height) */
  width?: number;
}

/**
 * batch[n][i]: section i of sample n, H*W labels in [0, P) (row-major, x fastest). Single mode takes one section
 * (the slice at z = 0); sections mode takes k, placed at sectionPositions(size, k), and gets the shape-based
 * interpolation's logits as `baseline`.
 */
export function prepareInputs(config: ModelConfig, batch: Uint8Array[][], o: PrepareOptions = {}): GeneratorInputs {
  const { phases: P, sections: k, size: S, mode, generator: gc } = config;
  const H = o.height ?? S, W = o.width ?? H;
  if (!Array.isArray(batch) || !batch.length) throw new InvalidArgumentError('prepareInputs: batch must be a non-empty array of samples (arrays of sections)');
  const N = batch.length, n = H * W;
  const slices = new Float32Array(N * k * P * n);
  const baseline = mode === 'sections' ? new Float32Array(N * P * S * n) : undefined;
  batch.forEach((sections, b) => {
    if (!Array.isArray(sections) || sections.length !== k)
      throw new InvalidArgumentError(`prepareInputs: sample ${b} has ${Array.isArray(sections) ? sections.length : 'no'} sections; this model takes ${k}`);
    sections.forEach((s, i) => {
      if (!(s instanceof Uint8Array) || s.length !== n)
        throw new InvalidArgumentError(`prepareInputs: sample ${b} section ${i} must be a Uint8Array of ${H}x${W} = ${n} labels, got ${s?.length}`);
      slices.set(oneHot(s, P), (b * k + i) * P * n);
    });
    if (baseline) {
      const dist = interpolatedDistances(sections, { phases: P, depth: S, height: H, width: W });
      baseline.set(baselineLogits(dist, gc.baselineTemperature, gc.baselineBound), b * P * S * n);
    }
  });
  return {
    slices: tensor(slices, [N, k * P, H, W]),
    ...(baseline ? { baseline: tensor(baseline, [N, P, S, H, W]) } : {}),
  };
}

/** The most probable phase of every voxel of probabilities [N, P, ...]: labels [N * prod(...)] (ties: the lower phase). */
export async function probabilitiesToLabels(probs: Tensor): Promise<Uint8Array> {
  const t = checkTensor(probs, 'probabilitiesToLabels: probs');
  if (t.shape.length < 3) throw new InvalidArgumentError(`probabilitiesToLabels: probs must be [N, P, ...spatial], got rank ${t.shape.length}`);
  const [N, P] = t.shape;
  if (P > 255) throw new InvalidArgumentError(`probabilitiesToLabels: ${P} phases do not fit uint8 labels`);
  const v = await t.read();
  const n = t.size / (N * P);
  const out = new Uint8Array(N * n);
  for (let b = 0; b < N; b++) {
    const base = b * P * n;
    for (let i = 0; i < n; i++) {
      let arg = 0, best = v[base + i];
      for (let p = 1; p < P; p++) {
        const x = v[base + p * n + i];
        if (x > best) {
          best = x;
          arg = p;
        }
      }
      out[b * n + i] = arg;
    }
  }
  return out;
}
