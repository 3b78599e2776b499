import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Golden outputs of the official SparseVideoNav code at tiny sizes (test/fixtures/official-tiny, copied unchanged
 * from shared/fixtures; its README says what each tensor is). Read whole: they are small.
 */
export const OFFICIAL_TINY = join(__dirname, 'fixtures', 'official-tiny');

export interface FixtureTensor {
  shape: number[];
  /** F32 as Float32Array, I64 as BigInt64Array, U8 as Uint8Array. */
  data: Float32Array | BigInt64Array | Uint8Array;
}

export function readFixture(file: string): Map<string, FixtureTensor> {
  const buf = readFileSync(join(OFFICIAL_TINY, file));
  const headerLen = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const start = 8 + headerLen;
  const out = new Map<string, FixtureTensor>();
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const bytes = buf.subarray(start + e.data_offsets[0], start + e.data_offsets[1]);
    const copy = new Uint8Array(bytes).buffer; // aligned copy
    const data =
      e.dtype === 'F32'
        ? new Float32Array(copy)
        : e.dtype === 'I64'
          ? new BigInt64Array(copy)
          : e.dtype === 'U8'
            ? new Uint8Array(copy)
            : undefined;
    if (!data) throw new Error(`${file}: ${name} has dtype ${e.dtype}, not one the fixtures use`);
    out.set(name, { shape: e.shape, data });
  }
  return out;
}

export function f32(t: Map<string, FixtureTensor>, name: string): Float32Array {
  const e = t.get(name);
  if (!e || !(e.data instanceof Float32Array)) throw new Error(`fixture has no float32 tensor ${name}`);
  return e.data;
}

/** max|ours − official| / max|official|: the one error figure every fixture comparison reports. */
export function relativeError(ours: ArrayLike<number>, official: ArrayLike<number>): number {
  if (ours.length !== official.length) {
    throw new Error(`comparing ${ours.length} values with ${official.length} official values`);
  }
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < official.length; i++) {
    diff = Math.max(diff, Math.abs(ours[i]! - official[i]!));
    scale = Math.max(scale, Math.abs(official[i]!));
  }
  if (!Number.isFinite(diff)) return Infinity;
  return scale === 0 ? diff : diff / scale;
}
