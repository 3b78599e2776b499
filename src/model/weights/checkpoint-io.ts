import { readSync, writeSync } from 'node:fs';
import { float16BitsToFloat32 } from '../onnx/dtype';

/** Shared pieces of the checkpoint readers (errors, dtypes, reads in bounded pieces). */

/** Element types a checkpoint tensor may be stored in (only the float ones can be read as fp32). */
export type StoredDType =
  'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export const STORED_BYTES: Record<StoredDType, number> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

export interface TensorInfo {
  dtype: StoredDType;
  shape: number[];
}

/**
 * A checkpoint file seen as named tensors, whatever its format (.safetensors or a PyTorch zip .pth). Tensors are
 * read on demand, so a multi-gigabyte file is never held in memory whole.
 */
export interface TensorSource {
  readonly path: string;
  names(): string[];
  info(name: string): TensorInfo | undefined;
  /** The whole tensor (row-major) converted to fp32. */
  readFloat32(name: string): Float32Array;
  /** Elements [start, start + count) of the row-major tensor, as fp32: lets callers stream huge tensors. */
  readFloat32Range(name: string, start: number, count: number): Float32Array;
  close(): void;
}

/** A checkpoint that cannot be read: the message always starts with the file's path. */
export class CheckpointError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'CheckpointError';
  }
}

/** Largest single read/write: Node refuses one readSync/writeSync over 2 GiB, and smaller pieces bound memory. */
export const MAX_IO_BYTES = 256 * 1024 * 1024;

/** Reads exactly `target.byteLength` bytes at `position`, in pieces of at most MAX_IO_BYTES. */
export function readExactly(
  fd: number,
  target: Uint8Array,
  position: number,
  file: string,
  what: string,
  pieceBytes = MAX_IO_BYTES,
): void {
  let done = 0;
  while (done < target.byteLength) {
    const len = Math.min(pieceBytes, target.byteLength - done);
    const got = readSync(fd, target, done, len, position + done);
    if (got <= 0) {
      throw new CheckpointError(file, `${what}: file ends at byte ${position + done}, before its data does`);
    }
    done += got;
  }
}

/**
 * Reads `count` elements of a stored float type starting at byte `position` and converts them to fp32, reading
 * at most MAX_IO_BYTES at a time. bf16 is the top half of an fp32, so its conversion is exact; fp16 and f64
 * convert with IEEE rounding.
 */
export function readAsFloat32(
  fd: number,
  dtype: StoredDType,
  position: number,
  count: number,
  file: string,
  what: string,
  pieceBytes = MAX_IO_BYTES,
): Float32Array {
  const out = new Float32Array(count);
  const per = STORED_BYTES[dtype];
  if (dtype === 'float32' && littleEndianHost) {
    readExactly(fd, new Uint8Array(out.buffer), position, file, what, pieceBytes);
    return out;
  }
  if (dtype !== 'float16' && dtype !== 'bfloat16' && dtype !== 'float64' && dtype !== 'float32') {
    throw new CheckpointError(file, `${what}: stored as ${dtype}, not a float type`);
  }
  // Source pieces of a quarter of the limit: with the fp32 result they stay well inside it.
  const perPiece = Math.max(1, Math.floor(pieceBytes / per / 4));
  const out32 = new Uint32Array(out.buffer);
  for (let first = 0; first < count; first += perPiece) {
    const n = Math.min(perPiece, count - first);
    const buf = new Uint8Array(n * per);
    readExactly(fd, buf, position + first * per, file, what);
    const view = new DataView(buf.buffer);
    if (dtype === 'bfloat16') {
      const u16 = new Uint16Array(buf.buffer, 0, n);
      if (littleEndianHost) for (let i = 0; i < n; i++) out32[first + i] = u16[i]! << 16;
      else for (let i = 0; i < n; i++) out32[first + i] = view.getUint16(i * 2, true) << 16;
    } else if (dtype === 'float16') {
      for (let i = 0; i < n; i++) out[first + i] = float16BitsToFloat32(view.getUint16(i * 2, true));
    } else if (dtype === 'float64') {
      for (let i = 0; i < n; i++) out[first + i] = view.getFloat64(i * 8, true);
    } else {
      for (let i = 0; i < n; i++) out[first + i] = view.getFloat32(i * 4, true);
    }
  }
  return out;
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Checks an element range request against a tensor's size. */
export function checkRange(file: string, name: string, total: number, start: number, count: number): void {
  if (
    !Number.isInteger(start) ||
    !Number.isInteger(count) ||
    start < 0 ||
    count < 0 ||
    start + count > total
  ) {
    throw new CheckpointError(
      file,
      `tensor ${name}: range [${start}, ${start + count}) outside its ${total} elements`,
    );
  }
}

/** writeSync in pieces: one call may not exceed 2 GiB. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.byteLength;) {
    done += writeSync(fd, bytes, done, Math.min(MAX_IO_BYTES, bytes.byteLength - done));
  }
}
