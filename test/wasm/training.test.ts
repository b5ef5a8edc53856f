/**
 * Training runs on wasm: a tiny paired model trained 2 iterations with backend 'wasm' and with 'cpu' from the
 * same seed. Every loss of both iterations agrees to 1e-5 relative. The weights agree to 5e-3 normalised, not
 * tighter: the biases of convs followed by instance norm have a true gradient of zero, so their computed
 * gradient is rounding noise, which Adam's first steps (update ~ lr * sign) turn into lr-sized differences
 * (1e-3 measured on those biases; every other weight agrees to ~1e-6).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Trainer, type TrainProgress } from '../../src/index.js';
import { readSafetensors } from '../../src/model/index.js';
import { normalisedError } from '../ops/helpers.js';
import { small, tiny } from '../trainer/fixtures.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const settings = { advStartIterations: 0, advRampIterations: 1, validateEvery: 2, checkpointEvery: 2, validationBlocks: 1, logEvery: 1 };

async function train(backend: 'cpu' | 'wasm') {
  const out = await mkdtemp(join(tmpdir(), `microrecon-wasm-train-${backend}-`));
  dirs.push(out);
  const t = await Trainer.create({ data: small, mode: 'paired', out, size: 16, config: tiny, trainer: settings, backend });
  const progress: TrainProgress[] = [];
  await t.train({ iterations: 2, onProgress: (p) => void progress.push(p) });
  t.dispose();
  const st = await readSafetensors(join(out, 'checkpoint/training.safetensors'));
  return { losses: progress.map((p) => p.losses), weights: new Map([...st.tensors].map(([n, a]) => [n, a.data as Float32Array])) };
}

describe('training on wasm', () => {
  it('2 iterations: losses and weights match cpu', async () => {
    const cpu = await train('cpu');
    const wasm = await train('wasm');
    expect(wasm.losses.length).toBe(2);
    expect(cpu.losses.length).toBe(2);
    for (let i = 0; i < 2; i++)
      for (const [k, a] of Object.entries(cpu.losses[i])) {
        const b = wasm.losses[i][k];
        expect(Math.abs(a - b) / (Math.abs(a) + 1e-3), `iteration ${i + 1} ${k}: cpu ${a}, wasm ${b}`).toBeLessThan(1e-5);
      }
    let worst = 0;
    for (const [n, w] of cpu.weights) if (!n.startsWith('adam.')) worst = Math.max(worst, normalisedError(wasm.weights.get(n)!, w));
    console.log(`training on wasm: worst normalised weight difference after 2 iterations ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(5e-3);
  });
});
