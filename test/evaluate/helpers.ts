/** Shared by the evaluate tests: sample data, synthetic volumes, the schema validator. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'vitest';
import { readVolume, type Volume } from '../../src/io/index.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DATA = (name: string): string => fileURLToPath(new URL(`../../data/${name}`, import.meta.url));

let berea: Promise<Volume> | undefined;
/** data/berea_crop48.tif: 48^3, phase 0 = pore (file value 0), phase 1 = grain (255). */
export const berea48 = (): Promise<Volume> => (berea ??= readVolume(DATA('berea_crop48.tif')));

export function synthetic(
  shape: [number, number, number],
  f: (z: number, y: number, x: number) => number,
  labels?: number[],
): Volume {
  const [nz, ny, nx] = shape;
  const data = new Uint8Array(nz * ny * nx);
  for (let z = 0, i = 0; z < nz; ++z) for (let y = 0; y < ny; ++y) for (let x = 0; x < nx; ++x, ++i) data[i] = f(z, y, x);
  return labels ? { shape, data, labels } : { shape, data };
}

/** The schema as published, and a strict copy (no properties beyond those described) to catch drift. */
const schema = JSON.parse(readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8'));

function strict(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strict);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, strict(s)])) : strict(v);
  if ('properties' in out && !('additionalProperties' in out)) out.additionalProperties = false;
  return out;
}

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validateLenient = ajv.compile(schema);
const validateStrict = new Ajv2020({ allErrors: true, strict: false }).compile(strict({ ...schema, $id: 'strict' }) as object);

/** Validates a report against the published schema and against its strict copy. */
export function expectValidReport(report: unknown): void {
  const ok = validateLenient(report);
  expect(ok ? 'valid' : JSON.stringify(validateLenient.errors?.slice(0, 5), null, 1)).toBe('valid');
  const okStrict = validateStrict(report);
  expect(okStrict ? 'valid' : JSON.stringify(validateStrict.errors?.slice(0, 5), null, 1)).toBe('valid');
}

/** Asserts that `p` rejects with an error carrying `code` (and a message matching `message`). */
export async function rejectsWithCode(p: Promise<unknown>, code: string, message?: RegExp): Promise<Error> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a rejection').toBeInstanceOf(Error);
  expect((err as { code?: string }).code, (err as Error).message).toBe(code);
  if (message) expect((err as Error).message).toMatch(message);
  return err as Error;
}
