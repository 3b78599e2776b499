import { closeSync, openSync, readSync } from 'node:fs';
import { CheckpointError, type TensorSource } from './checkpoint-io';
import { PthFile } from './pth';
import { SafetensorsFile } from './safetensors';

export { CheckpointError, type StoredDType, type TensorInfo, type TensorSource } from './checkpoint-io';

/** Opens a checkpoint by its content: a zip (PyTorch .pth) or else a .safetensors file. */
export function openTensorFile(path: string): TensorSource {
  const magic = Buffer.alloc(LEGACY_TORCH_MAGIC.length);
  try {
    const fd = openSync(path, 'r');
    try {
      readSync(fd, magic, 0, magic.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new CheckpointError(path, `cannot open: ${(err as Error).message}`);
  }
  if (magic.readUInt32LE(0) === 0x04034b50) return PthFile.open(path);
  if (magic.equals(LEGACY_TORCH_MAGIC)) {
    throw new CheckpointError(
      path,
      'legacy (pre-1.6, non-zip) torch.save format is not read; re-save it with torch ≥ 1.6 or as .safetensors',
    );
  }
  return SafetensorsFile.open(path);
}

/** torch.save before 1.6 wrote a bare pickle stream starting with its magic number 0x1950a86a20f9469cfc6c. */
const LEGACY_TORCH_MAGIC = Buffer.from([
  0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19,
]);
