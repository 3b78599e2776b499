import { Rng } from '../model/onnx/rng';

/** Standard normal noise for one plan, reproducible from (seed, plan sequence, stream). */
export function gaussianNoise(
  length: number,
  seed: number,
  sequence: number,
  stream: 'video' | 'actions',
): Float32Array {
  const rng = new Rng(seed, (sequence * 2 + (stream === 'video' ? 0 : 1)) >>> 0);
  return rng.fillNormal(new Float32Array(length), 1);
}

export function allFinite(data: ArrayLike<number>): boolean {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return false;
  return true;
}
