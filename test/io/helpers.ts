/** Paths and small utilities shared by the IO tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect } from 'vitest';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The real data set lives beside the repository (see ../shared/data/README.md). */
export const SHARED = resolve(ROOT, '../shared/data');
export const shared = (p: string): string => join(SHARED, p);
export const fixture = (p: string): string => fileURLToPath(new URL(`./fixtures/${p}`, import.meta.url));

/** A temporary folder removed after the test file. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'microrecon-io-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Asserts that `p` rejects with an error of `cls` and `code`, and returns it. */
export async function rejectsWith(
  p: Promise<unknown>,
  cls: abstract new (...args: never[]) => Error,
  code: string,
  message?: RegExp,
): Promise<Error> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a rejection').toBeInstanceOf(cls);
  expect((err as { code?: string }).code).toBe(code);
  if (message) expect((err as Error).message).toMatch(message);
  return err as Error;
}

export function fractions(data: Uint8Array, phases: number): number[] {
  const counts = new Array<number>(phases).fill(0);
  for (let i = 0; i < data.length; i++) counts[data[i]]++;
  return counts.map((c) => c / data.length);
}

/** An .npy file as numpy writes it (version 1.0 unless told), built independently of our encoder. */
export function npyBytes(descr: string, shape: number[], payload: Uint8Array, opts: { fortran?: boolean; version?: number } = {}): Uint8Array {
  const version = opts.version ?? 1;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const pre = version === 1 ? 10 : 12;
  dict += ' '.repeat(63 - ((pre + dict.length) % 64)) + '\n';
  const head = Buffer.alloc(pre);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  if (version === 1) head.writeUInt16LE(dict.length, 8);
  else head.writeUInt32LE(dict.length, 8);
  return new Uint8Array(Buffer.concat([head, Buffer.from(dict, 'latin1'), payload]));
}

/** Fast element-wise equality for big typed arrays (vitest's deep equality is slow on millions of elements). */
export function expectSame(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  let first = -1;
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      first = i;
      break;
    }
  }
  expect(first === -1 ? 'equal' : `first difference at ${first}: ${actual[first]} vs ${expected[first]}`).toBe('equal');
}
