import { Rng } from '../model/onnx/rng';

/** The Rng stream of one plan's noise: reproducible from (seed, plan sequence, which noise). */
export function noiseStream(sequence: number, kind: 'video' | 'actions'): number {
  return (sequence * 2 + (kind === 'video' ? 0 : 1)) >>> 0;
}

export function standardNormal(length: number, seed: number, stream: number): Float32Array {
  return new Rng(seed, stream).fillNormal(new Float32Array(length), 1);
}

export function allFinite(data: ArrayLike<number>): boolean {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return false;
  return true;
}
