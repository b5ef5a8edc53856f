/** Loads the PyTorch golden cases of test/golden/cases (written by test/golden/generate.py). */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** the checked-in cases */
export const CHECKED_IN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden', 'cases');
/** test/golden/cases, or MICRORECON_GOLDEN_DIR (e.g. the large tier of `generate.py --large DIR`) */
export const GOLDEN_DIR = process.env.MICRORECON_GOLDEN_DIR || CHECKED_IN_DIR;

export interface GoldenArray {
  shape: number[];
  data: Float32Array;
}

export interface GoldenCase {
  /** <op>.json it came from */
  file: string;
  name: string;
  op: string;
  /** the SDK's option names (tensor-valued options are in `inputs`) */
  options: Record<string, unknown>;
  inputs: Record<string, GoldenArray>;
  /** upstream gradient of output `y` (null for cases without gradients) */
  dy: GoldenArray | null;
  outputs: Record<string, GoldenArray>;
  /** gradients of <f(y), dy> w.r.t. the named inputs */
  grads: Record<string, GoldenArray>;
}

interface RawArray {
  shape: number[];
  offset: number;
}
interface RawCase {
  name: string;
  op: string;
  options: Record<string, unknown>;
  inputs: Record<string, RawArray>;
  dy: RawArray | null;
  outputs: Record<string, RawArray>;
  grads: Record<string, RawArray>;
}

function arrays(raw: Record<string, RawArray>, bin: Float32Array, where: string): Record<string, GoldenArray> {
  const out: Record<string, GoldenArray> = {};
  for (const [k, a] of Object.entries(raw)) out[k] = array(a, bin, `${where}.${k}`);
  return out;
}

function array(a: RawArray, bin: Float32Array, where: string): GoldenArray {
  const n = a.shape.reduce((p, q) => p * q, 1);
  if (a.offset + n > bin.length) throw new Error(`golden ${where}: offset ${a.offset} + ${n} runs past the .bin (${bin.length} floats)`);
  return { shape: a.shape, data: bin.slice(a.offset, a.offset + n) };
}

/** Every golden case of `dir`, in file-name then file order (float data is little-endian, as on every host we run). */
export function loadGoldenCases(dir = GOLDEN_DIR): GoldenCase[] {
  const cases: GoldenCase[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const doc = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { bin: string; cases: RawCase[] };
    const bytes = readFileSync(join(dir, doc.bin));
    const bin = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    for (const c of doc.cases) {
      const where = `${file}/${c.name}`;
      cases.push({
        file, name: c.name, op: c.op, options: c.options,
        inputs: arrays(c.inputs, bin, `${where}.inputs`),
        dy: c.dy ? array(c.dy, bin, `${where}.dy`) : null,
        outputs: arrays(c.outputs, bin, `${where}.outputs`),
        grads: arrays(c.grads, bin, `${where}.grads`),
      });
    }
  }
  return cases;
}
