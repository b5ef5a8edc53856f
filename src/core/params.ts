/**
 * Parameter structs of every kernel, mirrored field by field from native/core/params.h (checked by
 * test/params-mirror.test.ts). Every field is 4 bytes, so `pack` yields bytes that are the C++ struct, a CUDA
 * struct and a WGSL uniform alike.
 */
export const MAX_RANK = 6;
export const MAX_CONCAT = 16;

type FieldType = 'i32' | 'f32';
/** [name, type] or [name, type, array length] */
export type Field = readonly [string, FieldType] | readonly [string, FieldType, number];

export interface StructDef {
  readonly name: string;
  readonly fields: readonly Field[];
}

const i = (name: string, len?: number): Field => (len ? [name, 'i32', len] : [name, 'i32']);
const f = (name: string): Field => [name, 'f32'];

export const ConvParams: StructDef = {
  name: 'ConvParams',
  fields: [
    i('N'), i('Cin'), i('Cout'), i('groups'),
    i('inD'), i('inH'), i('inW'),
    i('outD'), i('outH'), i('outW'),
    i('kD'), i('kH'), i('kW'),
    i('strideD'), i('strideH'), i('strideW'),
    i('padD'), i('padH'), i('padW'),
    i('dilD'), i('dilH'), i('dilW'),
    i('hasBias'),
  ],
};

export const UpsampleParams: StructDef = {
  name: 'UpsampleParams',
  fields: [i('N'), i('C'), i('inD'), i('inH'), i('inW'), i('outD'), i('outH'), i('outW'), i('mode'), i('alignCorners')],
};

export const NormParams: StructDef = {
  name: 'NormParams',
  fields: [i('N'), i('C'), i('S'), i('mode'), i('hasAffine'), f('eps')],
};

export const UnaryKind = {
  relu: 0, leakyRelu: 1, sigmoid: 2, tanh: 3, exp: 4, log: 5, abs: 6, square: 7, sqrt: 8, neg: 9, affine: 10,
} as const;
export type UnaryKindName = keyof typeof UnaryKind;
export const UnaryParams: StructDef = { name: 'UnaryParams', fields: [i('n'), i('kind'), f('alpha'), f('beta')] };

/** step: 1 where a > b, ½ where equal, 0 where a < b (NaN propagates): the gradient mask of maximum / minimum. */
export const BinaryKind = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, step: 6 } as const;
export type BinaryKindName = keyof typeof BinaryKind;
export const BinaryParams: StructDef = {
  name: 'BinaryParams',
  fields: [i('kind'), i('rank'), i('shape', MAX_RANK), i('aStrides', MAX_RANK), i('bStrides', MAX_RANK)],
};

export const ReduceKind = { sum: 0, mean: 1, max: 2 } as const;
export type ReduceKindName = keyof typeof ReduceKind;
export const ReduceParams: StructDef = { name: 'ReduceParams', fields: [i('outer'), i('reduce'), i('inner'), i('kind')] };

export const SoftmaxParams: StructDef = { name: 'SoftmaxParams', fields: [i('outer'), i('C'), i('inner')] };

export const GemmParams: StructDef = {
  name: 'GemmParams',
  fields: [i('M'), i('N'), i('K'), i('transA'), i('transB'), i('hasBias')],
};

export const ConcatParams: StructDef = {
  name: 'ConcatParams',
  fields: [i('outer'), i('inner'), i('n'), i('sizes', MAX_CONCAT)],
};

export const StridedParams: StructDef = {
  name: 'StridedParams',
  fields: [i('rank'), i('offset'), i('inSize'), i('shape', MAX_RANK), i('strides', MAX_RANK)],
};

export const ALL_STRUCTS: readonly StructDef[] = [
  ConvParams, UpsampleParams, NormParams, UnaryParams, BinaryParams, ReduceParams, SoftmaxParams, GemmParams,
  ConcatParams, StridedParams,
];

export function structBytes(def: StructDef): number {
  return def.fields.reduce((n, fl) => n + 4 * (fl[2] ?? 1), 0);
}

export type ParamValues = Record<string, number | readonly number[]>;

/** Packs values into the struct's bytes (little-endian; arrays shorter than the field are zero-filled). */
export function pack(def: StructDef, values: ParamValues): Uint8Array {
  const buf = new ArrayBuffer(structBytes(def));
  const view = new DataView(buf);
  let off = 0;
  for (const [name, type, len] of def.fields) {
    const v = values[name];
    const arr = len === undefined ? [v ?? 0] : (v ?? []);
    if (!Array.isArray(arr) && len !== undefined) throw new Error(`${def.name}.${name} must be an array`);
    const items = arr as readonly number[];
    if (len !== undefined && items.length > len) throw new Error(`${def.name}.${name} has more than ${len} items`);
    for (let k = 0; k < (len ?? 1); k++) {
      const x = Number(items[k] ?? 0);
      if (type === 'i32') {
        if (!Number.isInteger(x) || x < -(2 ** 31) || x >= 2 ** 31) throw new Error(`${def.name}.${name} = ${x} is not an int32`);
        view.setInt32(off, x, true);
      } else view.setFloat32(off, x, true);
      off += 4;
    }
  }
  return new Uint8Array(buf);
}

/** Reads a packed struct back (for tests and for backends that want named fields, e.g. the WGSL uniforms). */
export function unpack(def: StructDef, bytes: Uint8Array): Record<string, number | number[]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Record<string, number | number[]> = {};
  let off = 0;
  for (const [name, type, len] of def.fields) {
    const read = () => {
      const x = type === 'i32' ? view.getInt32(off, true) : view.getFloat32(off, true);
      off += 4;
      return x;
    };
    out[name] = len === undefined ? read() : Array.from({ length: len }, read);
  }
  return out;
}
