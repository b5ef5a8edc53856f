// A one-node ONNX model (Conv or ConvTranspose, opset 17) written with a tiny protobuf encoder, so the bench
// needs no ONNX tooling. Only the fields used here are encoded (field numbers from onnx/onnx.proto3).

const WIRE_VARINT = 0;
const WIRE_LEN = 2;

class Writer {
  constructor() {
    this.parts = [];
  }
  varint(v) {
    let n = BigInt(v);
    if (n < 0n) n += 1n << 64n; // int64 two's complement
    const bytes = [];
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n) b |= 0x80;
      bytes.push(b);
    } while (n);
    this.parts.push(Uint8Array.from(bytes));
    return this;
  }
  key(field, wire) {
    return this.varint((field << 3) | wire);
  }
  int(field, v) {
    return this.key(field, WIRE_VARINT).varint(v);
  }
  bytes(field, data) {
    this.key(field, WIRE_LEN).varint(data.length);
    this.parts.push(data);
    return this;
  }
  string(field, s) {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  message(field, w) {
    return this.bytes(field, w.finish());
  }
  finish() {
    const n = this.parts.reduce((a, p) => a + p.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR_INT = 2;
const ATTR_INTS = 7;

function attrInts(name, values) {
  const w = new Writer().string(1, name).int(20, ATTR_INTS);
  for (const v of values) w.int(8, v);
  return w;
}
function attrInt(name, v) {
  return new Writer().string(1, name).int(20, ATTR_INT).int(3, v);
}
function valueInfo(name, shape) {
  const dims = new Writer();
  for (const d of shape) dims.message(1, new Writer().int(1, d));
  const tensorType = new Writer().int(1, FLOAT).message(2, dims);
  return new Writer().string(1, name).message(2, new Writer().message(1, tensorType));
}
function tensor(name, shape, data) {
  const w = new Writer();
  for (const d of shape) w.int(1, d);
  w.int(2, FLOAT).string(8, name);
  w.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return w;
}

/**
 * Builds the model bytes. `op` is 'Conv' (x [N, Cin, ...sp] -> y) or 'ConvTranspose'; `weight` is a
 * Float32Array stored as an initializer (ONNX layout = PyTorch layout for both ops).
 */
export function convModel({ op = 'Conv', inShape, outShape, weightShape, weight, strides, pads, dilations, group = 1, outputPadding }) {
  const node = new Writer().string(1, 'x').string(1, 'w').string(2, 'y').string(3, 'conv').string(4, op);
  node.message(5, attrInts('kernel_shape', weightShape.slice(2)));
  node.message(5, attrInts('strides', strides));
  node.message(5, attrInts('pads', [...pads, ...pads]));
  node.message(5, attrInts('dilations', dilations));
  node.message(5, attrInt('group', group));
  if (outputPadding) node.message(5, attrInts('output_padding', outputPadding));
  const graph = new Writer()
    .message(1, node)
    .string(2, 'bench')
    .message(5, tensor('w', weightShape, weight))
    .message(11, valueInfo('x', inShape))
    .message(12, valueInfo('y', outShape));
  return new Writer()
    .int(1, 8) // ir_version 8 (opset 17)
    .string(2, 'microrecon-bench')
    .message(7, graph)
    .message(8, new Writer().string(1, '').int(2, 17))
    .finish();
}
