import { closeSync, openSync } from 'node:fs';
import {
  CheckpointError,
  checkRange,
  elementCount,
  MAX_IO_BYTES,
  readAsFloat32,
  readExactly,
  STORED_BYTES,
  type TensorInfo,
  type TensorSource,
} from './checkpoint-io';
import { PickleDict, PickleTensor, unpickle } from './pickle';
import { entryDataOffset, readZipDirectory, type ZipEntry } from './zip';

/** One tensor of a .pth: where its first element lies and how its elements are laid out. */
interface PthTensor {
  info: TensorInfo;
  /** Absolute byte position of element 0 of the view. */
  position: number;
  /** Row-major strides when the view is contiguous; otherwise the stored strides (gathered on read). */
  contiguous: boolean;
  stride: number[];
  /** Bytes of the storage that the view spans, from `position`. */
  span: number;
}

/** Largest storage span a non-contiguous view may have: such views are gathered from one read. */
const MAX_STRIDED_SPAN = MAX_IO_BYTES;

/**
 * Reads a PyTorch zip checkpoint (`torch.save` since 1.6: `<name>/data.pkl` plus one stored member per storage,
 * `<name>/data/<key>`). The pickle is read with a restricted unpickler that only builds a dict of tensor
 * descriptions; storage bytes are then read by offset, in pieces, and converted to fp32.
 */
export class PthFile implements TensorSource {
  readonly #fd: number;
  readonly #tensors: Map<string, PthTensor>;

  private constructor(
    readonly path: string,
    fd: number,
    tensors: Map<string, PthTensor>,
  ) {
    this.#fd = fd;
    this.#tensors = tensors;
  }

  static open(path: string): PthFile {
    const fd = openSync(path, 'r');
    try {
      return new PthFile(path, fd, readTensors(fd, path));
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  names(): string[] {
    return [...this.#tensors.keys()];
  }

  info(name: string): TensorInfo | undefined {
    const t = this.#tensors.get(name);
    return t && { dtype: t.info.dtype, shape: [...t.info.shape] };
  }

  readFloat32(name: string): Float32Array {
    const t = this.#get(name);
    return this.readFloat32Range(name, 0, elementCount(t.info.shape));
  }

  readFloat32Range(name: string, start: number, count: number): Float32Array {
    const t = this.#get(name);
    checkRange(this.path, name, elementCount(t.info.shape), start, count);
    const per = STORED_BYTES[t.info.dtype];
    if (t.contiguous)
      return readAsFloat32(
        this.#fd,
        t.info.dtype,
        t.position + start * per,
        count,
        this.path,
        `tensor ${name}`,
      );
    const all = readAsFloat32(this.#fd, t.info.dtype, t.position, t.span / per, this.path, `tensor ${name}`);
    return gather(all, t.info.shape, t.stride, start, count);
  }

  close(): void {
    closeSync(this.#fd);
  }

  #get(name: string): PthTensor {
    const t = this.#tensors.get(name);
    if (!t) throw new CheckpointError(this.path, `no tensor named ${name}`);
    return t;
  }
}

function readTensors(fd: number, path: string): Map<string, PthTensor> {
  const entries = readZipDirectory(fd, path);
  const pkl = entries.find((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (!pkl) throw new CheckpointError(path, 'zip has no <name>/data.pkl: not a PyTorch checkpoint');
  const prefix = pkl.name.slice(0, -'data.pkl'.length);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const order = entries.find((e) => e.name === `${prefix}byteorder`);
  if (order) {
    const bytes = new Uint8Array(order.size);
    readExactly(fd, bytes, entryDataOffset(fd, order, path), path, 'byteorder');
    if (new TextDecoder().decode(bytes) !== 'little')
      throw new CheckpointError(path, 'stored big-endian; only little-endian is read');
  }
  const pickle = new Uint8Array(pkl.size);
  readExactly(fd, pickle, entryDataOffset(fd, pkl, path), path, 'data.pkl');
  const root = unpickle(pickle, path);
  if (!(root instanceof PickleDict))
    throw new CheckpointError(path, 'data.pkl does not hold a dict of tensors');
  const tensors = new Map<string, PthTensor>();
  for (const [key, value] of root.map) {
    if (typeof key !== 'string' || !(value instanceof PickleTensor)) {
      throw new CheckpointError(path, `entry ${String(key)} of the state dict is not a tensor`);
    }
    const entry = byName.get(`${prefix}data/${value.storage.key}`);
    if (!entry)
      throw new CheckpointError(
        path,
        `tensor ${key}: storage data/${value.storage.key} is missing from the zip`,
      );
    tensors.set(key, placeTensor(fd, path, key, value, entry));
  }
  return tensors;
}

/** Checks a view against its storage member (the range it reads must exist) and resolves its byte position. */
function placeTensor(fd: number, path: string, name: string, t: PickleTensor, entry: ZipEntry): PthTensor {
  const dtype = t.storage.dtype;
  const per = STORED_BYTES[dtype];
  const n = elementCount(t.shape);
  const rowMajor = rowMajorStrides(t.shape);
  const contiguous = n <= 1 || t.shape.every((d, i) => d === 1 || t.stride[i] === rowMajor[i]);
  const lastElement = n === 0 ? 0 : t.shape.reduce((acc, d, i) => acc + (d - 1) * t.stride[i]!, 0) + 1;
  const span = (contiguous ? n : lastElement) * per;
  const need = t.offset * per + span;
  const available = Math.min(entry.size, t.storage.numel * per);
  if (entry.size < t.storage.numel * per || need > available) {
    throw new CheckpointError(
      path,
      `tensor ${name}: needs bytes [${t.offset * per}, ${need}) of storage data/${t.storage.key}, which holds ${entry.size} of ${t.storage.numel * per} (truncated or damaged)`,
    );
  }
  if (!contiguous && span > MAX_STRIDED_SPAN) {
    throw new CheckpointError(
      path,
      `tensor ${name}: non-contiguous view over ${span} bytes is not supported (save it contiguous)`,
    );
  }
  const position = entryDataOffset(fd, entry, path) + t.offset * per;
  return { info: { dtype, shape: [...t.shape] }, position, contiguous, stride: [...t.stride], span };
}

function rowMajorStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Elements [start, start + count) in row-major order of a strided view over `all`. */
function gather(
  all: Float32Array,
  shape: number[],
  stride: number[],
  start: number,
  count: number,
): Float32Array {
  const out = new Float32Array(count);
  const rm = rowMajorStrides(shape);
  for (let k = 0; k < count; k++) {
    let rest = start + k;
    let at = 0;
    for (let d = 0; d < shape.length; d++) {
      const idx = Math.floor(rest / rm[d]!);
      rest -= idx * rm[d]!;
      at += idx * stride[d]!;
    }
    out[k] = all[at]!;
  }
  return out;
}
