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
} from 'onnx-buf';
import { bytesPerElement, type DType, onnxDataType, toFloat16Array } from './dtype';
import type { AttributeValue, ConstantData, GraphBuilder, Parameter, Tensor } from './graph';

/** Opsets the networks are written against: RMSNormalization needs ai.onnx 23. */
export const OPSET = { onnx: 23, microsoft: 1 } as const;
const EXTERNAL_ALIGNMENT = 4096;

/** Produces the fp32 values of a parameter in its checkpoint layout (seeded or loaded). */
export type ParameterValues = (p: Parameter) => Float32Array;

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
  values: ParameterValues,
  options: WriteOptions,
): WrittenModel {
  const tmpPath = `${path}.partial`;
  const dataName = `${basename(path)}.data`;
  const dataPath = `${path}.data`;
  const initializers: TensorProto[] = [];
  let dataFd: number | undefined;
  let dataOffset = 0;
  const dataHash = createHash('sha256');
  let bytes = 0;
  try {
    if (options.externalData) dataFd = openSync(`${dataPath}.partial`, 'w');
    const emit = (tensor: Tensor, raw: Uint8Array): void => {
      bytes += raw.byteLength;
      if (dataFd === undefined) {
        initializers.push(tensorProto(tensor, raw));
        return;
      }
      const pad = (EXTERNAL_ALIGNMENT - (dataOffset % EXTERNAL_ALIGNMENT)) % EXTERNAL_ALIGNMENT;
      if (pad) {
        const zeros = new Uint8Array(pad);
        writeSync(dataFd, zeros);
        dataHash.update(zeros);
        dataOffset += pad;
      }
      writeSync(dataFd, raw);
      dataHash.update(raw);
      const proto = tensorProto(tensor, undefined);
      proto.dataLocation = TensorProto_DataLocation.EXTERNAL;
      proto.externalData = [
        { key: 'location', value: dataName },
        { key: 'offset', value: String(dataOffset) },
        { key: 'length', value: String(raw.byteLength) },
      ].map((e) => create(StringStringEntryProtoSchema, e));
      initializers.push(proto);
      dataOffset += raw.byteLength;
    };
    for (const p of g.parameters) {
      const data = values(p);
      const expected = p.shape.reduce((a, b) => a * b, 1);
      if (data.length !== expected) {
        throw new Error(`${g.name}: values for ${p.name} have ${data.length} elements, expected ${expected}`);
      }
      emit(p.tensor, parameterBytes(p, data));
    }
    for (const c of g.constants) {
      // Small constants stay inline even with external data: ORT folds them, and the graph stays readable.
      const raw = encode(c.data, c.tensor.dtype);
      if (dataFd !== undefined && raw.byteLength > 64 * 1024) emit(c.tensor, raw);
      else {
        initializers.push(tensorProto(c.tensor, raw));
        bytes += raw.byteLength;
      }
    }
  } finally {
    if (dataFd !== undefined) closeSync(dataFd);
  }

  const model = modelProto(g, initializers, options);
  const bin = toBinary(ModelProtoSchema, model);
  const fd = openSync(tmpPath, 'w');
  try {
    writeSync(fd, bin);
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
    result.dataSha256 = dataHash.digest('hex');
  }
  return result;
}

/** Serialises a small graph to bytes in memory (tests and tiny networks). */
export function modelBytes(g: GraphBuilder, values: ParameterValues): Uint8Array {
  const initializers = g.parameters.map((p) => tensorProto(p.tensor, parameterBytes(p, values(p))));
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

/** A parameter's values in its ONNX layout and element type. */
function parameterBytes(p: Parameter, data: Float32Array): Uint8Array {
  return encode(
    p.layout === 'transpose2d' ? transpose2d(data, p.shape[0]!, p.shape[1]!) : data,
    p.tensor.dtype,
  );
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
