import { closeSync, openSync, readSync } from 'node:fs';
import type { TensorInfo } from './checkpoint-io';
import { PthFile } from './pth';
import { SafetensorsFile } from './safetensors';

export { CheckpointError, type StoredDType, type TensorInfo } from './checkpoint-io';

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

/** Opens a checkpoint by its content: a zip (PyTorch .pth) or else a .safetensors file. */
export function openTensorFile(path: string): TensorSource {
  const fd = openSync(path, 'r');
  let magic: Buffer;
  try {
    magic = Buffer.alloc(4);
    readSync(fd, magic, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  return magic.readUInt32LE(0) === 0x04034b50 ? PthFile.open(path) : SafetensorsFile.open(path);
}
