import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import {
  CheckpointError,
  checkRange,
  elementCount,
  readAsFloat32,
  readExactly,
  type StoredDType,
  writeAll,
  type TensorInfo,
  type TensorSource,
} from './checkpoint-io';

/** One tensor entry of a .safetensors header. */
export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Byte range inside the data section. */
  begin: number;
  end: number;
}

const BYTES: Record<string, number> = {
  F32: 4,
  F16: 2,
  BF16: 2,
  F64: 8,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};
const STORED: Record<string, StoredDType> = {
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  F64: 'float64',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};
/** The format's own bound on the JSON header. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export class SafetensorsError extends CheckpointError {
  constructor(file: string, message: string) {
    super(file, message);
    this.name = 'SafetensorsError';
  }
}

/**
 * Reads tensors from a .safetensors file on demand (the header is parsed once; data is read per tensor), so
 * multi-gigabyte checkpoints are never held in memory whole. Floats of any stored precision come back as fp32.
 */
export class SafetensorsFile implements TensorSource {
  readonly entries: ReadonlyMap<string, SafetensorsEntry>;
  readonly metadata: Readonly<Record<string, string>>;
  readonly #fd: number;
  readonly #dataStart: number;

  private constructor(
    readonly path: string,
    fd: number,
    entries: Map<string, SafetensorsEntry>,
    metadata: Record<string, string>,
    dataStart: number,
  ) {
    this.#fd = fd;
    this.entries = entries;
    this.metadata = metadata;
    this.#dataStart = dataStart;
  }

  static open(path: string): SafetensorsFile {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const head = Buffer.alloc(8);
      if (size < 8 || readSync(fd, head, 0, 8, 0) !== 8)
        throw new SafetensorsError(path, 'file shorter than its 8-byte header length');
      const headerLen = Number(head.readBigUInt64LE(0));
      if (headerLen <= 0 || 8 + headerLen > size || headerLen > MAX_HEADER_BYTES) {
        throw new SafetensorsError(path, `header length ${headerLen} does not fit a file of ${size} bytes`);
      }
      const headerBuf = Buffer.alloc(headerLen);
      readExactly(fd, headerBuf, 8, path, 'safetensors header');
      let header: Record<string, unknown>;
      try {
        header = JSON.parse(headerBuf.toString('utf8')) as Record<string, unknown>;
      } catch (err) {
        throw new SafetensorsError(path, `header is not JSON: ${(err as Error).message}`);
      }
      const entries = new Map<string, SafetensorsEntry>();
      let metadata: Record<string, string> = {};
      const dataLen = size - 8 - headerLen;
      for (const [name, raw] of Object.entries(header)) {
        if (name === '__metadata__') {
          metadata = raw as Record<string, string>;
          continue;
        }
        const e = raw as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
        if (!e.dtype || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets)) {
          throw new SafetensorsError(path, `tensor ${name}: header entry lacks dtype/shape/data_offsets`);
        }
        const [begin, end] = e.data_offsets;
        const per = BYTES[e.dtype];
        const count = e.shape.reduce((a, b) => a * b, 1);
        if (per === undefined)
          throw new SafetensorsError(path, `tensor ${name}: unsupported dtype ${e.dtype}`);
        if (
          !Number.isSafeInteger(begin) ||
          !Number.isSafeInteger(end) ||
          end - begin !== count * per ||
          begin < 0
        ) {
          throw new SafetensorsError(
            path,
            `tensor ${name}: byte range [${begin}, ${end}) does not match ${e.dtype}[${e.shape.join(', ')}]`,
          );
        }
        if (end > dataLen) {
          throw new SafetensorsError(
            path,
            `tensor ${name}: data [${begin}, ${end}) lies beyond the file's ${dataLen} data bytes (truncated)`,
          );
        }
        entries.set(name, { name, dtype: e.dtype, shape: e.shape, begin, end });
      }
      return new SafetensorsFile(path, fd, entries, metadata, 8 + headerLen);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  info(name: string): TensorInfo | undefined {
    const e = this.entries.get(name);
    return e && { dtype: STORED[e.dtype]!, shape: [...e.shape] };
  }

  /** The tensor as fp32 (any stored float precision), read in pieces of at most MAX_IO_BYTES. */
  readFloat32(name: string): Float32Array {
    const e = this.#get(name);
    return this.readFloat32Range(name, 0, elementCount(e.shape));
  }

  readFloat32Range(name: string, start: number, count: number): Float32Array {
    const e = this.#get(name);
    checkRange(this.path, name, elementCount(e.shape), start, count);
    const at = this.#dataStart + e.begin + start * BYTES[e.dtype]!;
    return readAsFloat32(this.#fd, STORED[e.dtype]!, at, count, this.path, `tensor ${name}`);
  }

  /** An int64 tensor (token ids, masks, timesteps in fixture files). */
  readBigInt64(name: string): BigInt64Array {
    const e = this.#get(name);
    if (e.dtype !== 'I64')
      throw new SafetensorsError(this.path, `tensor ${name}: stored as ${e.dtype}, not I64`);
    const out = new BigInt64Array(elementCount(e.shape));
    readExactly(this.#fd, new Uint8Array(out.buffer), this.#dataStart + e.begin, this.path, `tensor ${name}`);
    return out;
  }

  /** Same as readFloat32 (the name existing callers use). */
  read(name: string): Float32Array {
    return this.readFloat32(name);
  }

  #get(name: string): SafetensorsEntry {
    const e = this.entries.get(name);
    if (!e) throw new SafetensorsError(this.path, `no tensor named ${name}`);
    return e;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** Writes fp32 tensors as a .safetensors file (used to export and in round-trip tests). */
export function writeSafetensors(
  path: string,
  tensors: Record<string, { shape: readonly number[]; data: Float32Array }>,
  metadata: Record<string, string> = {},
): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const names = Object.keys(tensors).sort();
  for (const name of names) {
    const t = tensors[name]!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new Error(`${name}: shape [${t.shape.join(', ')}] ≠ ${t.data.length} values`);
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head);
    writeSync(fd, Buffer.from(json, 'utf8'));
    for (const name of names) {
      const d = tensors[name]!.data;
      writeAll(fd, new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    }
  } finally {
    closeSync(fd);
  }
}
