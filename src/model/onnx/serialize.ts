import { create, toBinary } from '@bufbuild/protobuf';
import { createHash } from 'node:crypto';
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import {
  type AttributeProto,
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  ModelProtoSchema,
  type NodeProto,
  NodeProtoSchema,
  StringStringEntryProtoSchema,
  type TensorProto,
  TensorProto_DataLocation,
  TensorProtoSchema,
  type ValueInfoProto,
  ValueInfoProtoSchema,
} from './proto/onnx_pb';
import { bytesPerElement, type DType, onnxDataType, toFloat16Array } from './dtype';
import type { AttributeValue, ConstantData, GraphBuilder, Parameter, Tensor } from './graph';

/** Opsets the networks are written against: RMSNormalization needs ai.onnx 23. */
export const OPSET = { onnx: 23, microsoft: 1 } as const;
const EXTERNAL_ALIGNMENT = 4096;

/** Produces the fp32 values of a parameter in its checkpoint layout (seeded or loaded). */
export type ParameterValues = (p: Parameter) => Float32Array;

/**
 * A parameter's values in checkpoint layout given as consecutive row-major pieces, for tensors too large to
 * hold or convert in one array (umT5's 256384 × 4096 token embedding is 4.2 GB in fp32).
 */
export interface ParameterPieces {
  readonly pieces: Iterable<Float32Array>;
}

/** Like ParameterValues, but a tensor may also come in pieces; the writers accept either. */
export type ParameterSource = (p: Parameter) => Float32Array | ParameterPieces;

/** Largest single writeSync: Node refuses one over 2 GiB, and smaller pieces bound the fp16 conversion buffers. */
const MAX_WRITE_BYTES = 256 * 1024 * 1024;

export interface WriteOptions {
  /** Initializers go to `<model>.data` beside the model when true; ONNX's protobuf limit is 2 GB. */
  externalData: boolean;
  producer?: string;
  docString?: string;
}

export interface WrittenModel {
  modelPath: string;
  modelSha256: string;
  dataPath?: string;
  dataSha256?: string;
  bytes: number;
}

/**
 * Writes the graph as an ONNX model file. Parameter data is requested one tensor at a time and written
 * immediately when external data is used, so memory stays bounded by the largest tensor.
 */
export function writeModel(
  g: GraphBuilder,
  path: string,
  values: ParameterSource,
  options: WriteOptions,
): WrittenModel {
  const tmpPath = `${path}.partial`;
  const dataName = `${basename(path)}.data`;
  const dataPath = `${path}.data`;
  const initializers: TensorProto[] = [];
  const data = options.externalData ? new ExternalData(`${dataPath}.partial`) : undefined;
  let bytes = 0;
  try {
    const emit = (tensor: Tensor, pieces: Iterable<Uint8Array>): void => {
      if (!data) {
        const raw = concatBytes(pieces);
        bytes += raw.byteLength;
        initializers.push(tensorProto(tensor, raw));
        return;
      }
      const { offset, length } = data.append(pieces);
      bytes += length;
      const proto = tensorProto(tensor, undefined);
      proto.dataLocation = TensorProto_DataLocation.EXTERNAL;
      proto.externalData = [
        { key: 'location', value: dataName },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(length) },
      ].map((e) => create(StringStringEntryProtoSchema, e));
      initializers.push(proto);
    };
    for (const p of g.parameters) emit(p.tensor, parameterPieces(g.name, p, values(p)));
    for (const c of g.constants) {
      // Small constants stay inline even with external data: ORT folds them, and the graph stays readable.
      const raw = encode(c.data, c.tensor.dtype);
      if (data && raw.byteLength > 64 * 1024) emit(c.tensor, [raw]);
      else {
        initializers.push(tensorProto(c.tensor, raw));
        bytes += raw.byteLength;
      }
    }
  } finally {
    data?.close();
  }

  const model = modelProto(g, initializers, options);
  const bin = toBinary(ModelProtoSchema, model);
  const fd = openSync(tmpPath, 'w');
  try {
    writePieces(fd, bin);
  } finally {
    closeSync(fd);
  }
  renameSync(tmpPath, path);
  if (options.externalData) renameSync(`${dataPath}.partial`, dataPath);
  const result: WrittenModel = {
    modelPath: path,
    modelSha256: createHash('sha256').update(bin).digest('hex'),
    bytes: bytes + bin.byteLength,
  };
  if (options.externalData) {
    result.dataPath = dataPath;
    result.dataSha256 = data!.sha256();
  }
  return result;
}

/** The external data file: each tensor starts at a multiple of EXTERNAL_ALIGNMENT; hashed as written. */
class ExternalData {
  readonly #fd: number;
  readonly #hash = createHash('sha256');
  #offset = 0;

  constructor(path: string) {
    this.#fd = openSync(path, 'w');
  }

  append(pieces: Iterable<Uint8Array>): { offset: number; length: number } {
    const pad = (EXTERNAL_ALIGNMENT - (this.#offset % EXTERNAL_ALIGNMENT)) % EXTERNAL_ALIGNMENT;
    if (pad) this.#write(new Uint8Array(pad));
    const offset = this.#offset;
    for (const raw of pieces) this.#write(raw);
    return { offset, length: this.#offset - offset };
  }

  #write(bytes: Uint8Array): void {
    writePieces(this.#fd, bytes);
    this.#hash.update(bytes);
    this.#offset += bytes.byteLength;
  }

  sha256(): string {
    return this.#hash.digest('hex');
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** Serialises a small graph to bytes in memory (tests and tiny networks). */
export function modelBytes(g: GraphBuilder, values: ParameterSource): Uint8Array {
  const initializers = g.parameters.map((p) =>
    tensorProto(p.tensor, concatBytes(parameterPieces(g.name, p, values(p)))),
  );
  for (const c of g.constants) initializers.push(tensorProto(c.tensor, encode(c.data, c.tensor.dtype)));
  return toBinary(ModelProtoSchema, modelProto(g, initializers, {}));
}

function modelProto(
  g: GraphBuilder,
  initializers: TensorProto[],
  options: { producer?: string; docString?: string },
) {
  return create(ModelProtoSchema, {
    irVersion: 10n,
    producerName: options.producer ?? 'sparse_video_nav',
    producerVersion: '0.1.0',
    docString: options.docString ?? '',
    opsetImport: [
      { domain: '', version: BigInt(OPSET.onnx) },
      { domain: 'com.microsoft', version: BigInt(OPSET.microsoft) },
    ],
    graph: {
      name: g.name,
      node: g.nodes.map(nodeProto),
      initializer: initializers,
      input: g.inputs.map(valueInfo),
      output: g.outputs.map(valueInfo),
    },
  });
}

/**
 * A parameter's bytes in its ONNX layout and element type, as pieces of at most MAX_WRITE_BYTES (fp16 is
 * converted piece by piece). A transposed parameter is gathered whole first: only 2-D Linear weights are.
 */
export function* parameterPieces(
  graph: string,
  p: Parameter,
  data: Float32Array | ParameterPieces,
): Generator<Uint8Array> {
  const expected = p.shape.reduce((a, b) => a * b, 1);
  const pieces = data instanceof Float32Array ? [data] : data.pieces;
  if (p.layout === 'transpose2d') {
    const whole = data instanceof Float32Array ? data : concatFloats([...pieces]);
    checkCount(graph, p, whole.length, expected);
    yield* splitEncoded(transpose2d(whole, p.shape[0]!, p.shape[1]!), p.tensor.dtype, `${graph}: ${p.name}`);
    return;
  }
  let count = 0;
  for (const piece of pieces) {
    count += piece.length;
    if (count > expected) checkCount(graph, p, count, expected);
    yield* splitEncoded(piece, p.tensor.dtype, `${graph}: ${p.name}`);
  }
  checkCount(graph, p, count, expected);
}

function checkCount(graph: string, p: Parameter, got: number, expected: number): void {
  if (got !== expected)
    throw new Error(`${graph}: values for ${p.name} have ${got} elements, expected ${expected}`);
}

function* splitEncoded(data: Float32Array, dtype: DType, what: string): Generator<Uint8Array> {
  const encoded = (piece: Float32Array): Uint8Array => {
    const raw = encode(piece, dtype);
    if (dtype === 'float16') refuseFloat16Overflow(piece, raw, what);
    return raw;
  };
  const step = MAX_WRITE_BYTES / 4;
  if (data.length <= step) {
    yield encoded(data);
    return;
  }
  for (let i = 0; i < data.length; i += step) yield encoded(data.subarray(i, i + step));
}

/** A finite weight that becomes ±Inf in fp16 would turn the model's outputs into NaN: refuse it by name. */
function refuseFloat16Overflow(data: Float32Array, raw: Uint8Array, what: string): void {
  const bits = new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2);
  for (let i = 0; i < bits.length; i++) {
    if ((bits[i]! & 0x7fff) === 0x7c00 && Number.isFinite(data[i]!)) {
      throw new Error(
        `${what}: value ${data[i]} at element ${i} overflows float16 (max 65504); build this model in fp32`,
      );
    }
  }
}

function concatFloats(pieces: Float32Array[]): Float32Array {
  if (pieces.length === 1) return pieces[0]!;
  const out = new Float32Array(pieces.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function concatBytes(pieces: Iterable<Uint8Array>): Uint8Array {
  const all = [...pieces];
  if (all.length === 1) return all[0]!;
  const out = new Uint8Array(all.reduce((a, p) => a + p.byteLength, 0));
  let at = 0;
  for (const p of all) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** writeSync in pieces of at most MAX_WRITE_BYTES (one call may not exceed 2 GiB). */
function writePieces(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.byteLength;) {
    done += writeSync(fd, bytes, done, Math.min(MAX_WRITE_BYTES, bytes.byteLength - done));
  }
}

export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[base + c]!;
  }
  return out;
}

function encode(data: ConstantData, dtype: DType): Uint8Array {
  let typed: ArrayBufferView;
  if (data instanceof Float32Array) {
    if (dtype === 'float16') typed = toFloat16Array(data);
    else if (dtype === 'float32') typed = data;
    else throw new Error(`cannot store float data as ${dtype}`);
  } else {
    typed = data;
  }
  const bytes = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  const expected = (bytes.byteLength / bytesPerElement[dtype]) * bytesPerElement[dtype];
  if (expected !== bytes.byteLength)
    throw new Error(`data of ${bytes.byteLength} bytes is not a whole number of ${dtype}`);
  return bytes;
}

function tensorProto(t: Tensor, raw: Uint8Array | undefined): TensorProto {
  const dims = t.shape.map((d) => {
    if (typeof d !== 'number') throw new Error(`initializer ${t.name} has a dynamic dim "${d}"`);
    return BigInt(d);
  });
  return create(TensorProtoSchema, {
    name: t.name,
    dataType: onnxDataType[t.dtype],
    dims,
    ...(raw ? { rawData: raw.slice() } : {}),
  });
}

function valueInfo(t: Tensor): ValueInfoProto {
  return create(ValueInfoProtoSchema, {
    name: t.name,
    type: {
      value: {
        case: 'tensorType',
        value: {
          elemType: onnxDataType[t.dtype],
          shape: {
            dim: t.shape.map((d) =>
              typeof d === 'number'
                ? { value: { case: 'dimValue' as const, value: BigInt(d) } }
                : { value: { case: 'dimParam' as const, value: d } },
            ),
          },
        },
      },
    },
  });
}

function nodeProto(n: GraphBuilder['nodes'][number]): NodeProto {
  return create(NodeProtoSchema, {
    name: n.name,
    opType: n.opType,
    domain: n.domain,
    input: [...n.inputs],
    output: [...n.outputs],
    docString: n.doc,
    attribute: Object.entries(n.attributes).map(([name, v]) => attributeProto(name, v)),
  });
}

function attributeProto(name: string, v: AttributeValue): AttributeProto {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: use { float: ${v} } for float attributes`);
    return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(v) });
  }
  if (typeof v === 'string') {
    return create(AttributeProtoSchema, {
      name,
      type: AttributeProto_AttributeType.STRING,
      s: new TextEncoder().encode(v),
    });
  }
  if (Array.isArray(v)) {
    return create(AttributeProtoSchema, {
      name,
      type: AttributeProto_AttributeType.INTS,
      ints: v.map((x) => BigInt(x)),
    });
  }
  if (v instanceof Float32Array) {
    return create(AttributeProtoSchema, {
      name,
      type: AttributeProto_AttributeType.FLOATS,
      floats: Array.from(v),
    });
  }
  if (typeof v === 'object' && v !== null && 'float' in v) {
    return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f: v.float });
  }
  throw new Error(`attribute ${name}: unsupported value`);
}
