/**
 * src/core/params.ts mirrors native/core/params.h field by field: same structs, same fields in the same order,
 * same types and array lengths, same constants and enum values. Parsed from the header text, so a field added
 * on one side only fails here rather than as garbage in a kernel.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ALL_STRUCTS, BinaryKind, MAX_CONCAT, MAX_RANK, pack, ReduceKind, structBytes, UnaryKind, unpack, type Field,
} from '../src/core/params.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const header = readFileSync(join(root, 'native', 'core', 'params.h'), 'utf8')
  .replace(/\/\*[\s\S]*?\*\//g, '')
  .replace(/\/\/.*$/gm, '');

const constants = Object.fromEntries([...header.matchAll(/constexpr\s+int\s+(\w+)\s*=\s*(\d+)\s*;/g)].map((m) => [m[1], Number(m[2])]));

function arrayLength(expr: string): number {
  const v = /^\d+$/.test(expr) ? Number(expr) : constants[expr];
  if (v === undefined) throw new Error(`params.h: unknown array length ${expr}`);
  return v;
}

/** struct name -> fields as [name, 'i32' | 'f32', length?] */
function parseStructs(): Map<string, Field[]> {
  const out = new Map<string, Field[]>();
  for (const m of header.matchAll(/struct\s+(\w+)\s*\{([^}]*)\}\s*;/g)) {
    const fields: Field[] = [];
    for (const decl of m[2].split(';').map((s) => s.trim()).filter(Boolean)) {
      const d = /^(int32_t|float)\s+(.+)$/.exec(decl);
      if (!d) throw new Error(`params.h: ${m[1]} has a field that is not int32_t or float: '${decl}'`);
      const type = d[1] === 'float' ? 'f32' : 'i32';
      for (const part of d[2].split(',').map((s) => s.trim())) {
        const a = /^(\w+)\s*(?:\[\s*(\w+)\s*\])?$/.exec(part);
        if (!a) throw new Error(`params.h: cannot parse '${part}' in ${m[1]}`);
        fields.push(a[2] ? [a[1], type, arrayLength(a[2])] : [a[1], type]);
      }
    }
    out.set(m[1], fields);
  }
  return out;
}

function parseEnum(name: string): number[] {
  const m = new RegExp(`enum\\s+${name}\\s*:\\s*int32_t\\s*\\{([^}]*)\\}`).exec(header);
  if (!m) throw new Error(`params.h: enum ${name} not found`);
  const values: number[] = [];
  let next = 0;
  for (const item of m[1].split(',').map((s) => s.trim()).filter(Boolean)) {
    const [id, v] = item.split('=').map((s) => s.trim());
    const value = v === undefined ? next : Number(v);
    next = value + 1;
    if (!/Count$/.test(id)) values.push(value);
  }
  return values;
}

const structs = parseStructs();
const norm = (fields: readonly Field[]) => fields.map(([n, t, len]) => `${n}:${t}${len ? `[${len}]` : ''}`);

describe('params.ts mirrors params.h', () => {
  it('parses the header', () => {
    expect(structs.size).toBeGreaterThanOrEqual(10);
  });

  it('has the same structs', () => {
    expect(ALL_STRUCTS.map((s) => s.name).sort()).toEqual([...structs.keys()].sort());
  });

  for (const def of ALL_STRUCTS)
    it(`${def.name}: same fields, order, types and array lengths`, () => {
      const native = structs.get(def.name);
      expect(native, `${def.name} is missing from params.h`).toBeDefined();
      expect(norm(def.fields)).toEqual(norm(native!));
    });

  it('static_assert sizes agree with the TS struct sizes', () => {
    const asserts = [...header.matchAll(/static_assert\(sizeof\((\w+)\)\s*==\s*([^,]+),/g)];
    expect(asserts.map((m) => m[1]).sort()).toEqual(ALL_STRUCTS.map((d) => d.name).sort());
    for (const m of asserts) {
      const def = ALL_STRUCTS.find((s) => s.name === m[1]);
      expect(def, m[1]).toBeDefined();
      const bytes = Function('kMaxRank', 'kMaxConcat', `return ${m[2]};`)(constants.kMaxRank, constants.kMaxConcat);
      expect(structBytes(def!), m[1]).toBe(bytes);
    }
  });

  it('has the same constants', () => {
    expect(constants.kMaxRank).toBe(MAX_RANK);
    expect(constants.kMaxConcat).toBe(MAX_CONCAT);
  });

  it('has the same enum values, in order', () => {
    expect(Object.values(UnaryKind)).toEqual(parseEnum('UnaryKind'));
    expect(Object.values(BinaryKind)).toEqual(parseEnum('BinaryKind'));
    expect(Object.values(ReduceKind)).toEqual(parseEnum('ReduceKind'));
  });

  it('pack and unpack round-trip every struct', () => {
    for (const def of ALL_STRUCTS) {
      const values = Object.fromEntries(def.fields.map(([n, t, len], k) => {
        const v = (j: number) => (t === 'f32' ? 0.5 + k + j : k * 10 + j);
        return [n, len ? Array.from({ length: len }, (_, j) => v(j)) : v(0)];
      }));
      const bytes = pack(def, values);
      expect(bytes.length).toBe(structBytes(def));
      expect(unpack(def, bytes)).toEqual(values);
    }
  });
});
