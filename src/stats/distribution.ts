/** Small sample statistics for reports and benchmarks. Empty inputs give null, never NaN, so JSON stays valid. */

export interface Distribution {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

/**
 * The q-quantile (0 ≤ q ≤ 1) with linear interpolation between order statistics (NumPy's default), so a
 * p95 of few samples lies between the two largest rather than jumping to the largest.
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of no samples');
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function distribution(samples: readonly number[]): Distribution | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    mean: sorted.reduce((s, v) => s + v, 0) / sorted.length,
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    max: sorted[sorted.length - 1]!,
  };
}

export function rms(samples: readonly number[]): number | null {
  if (samples.length === 0) return null;
  return Math.sqrt(samples.reduce((s, v) => s + v * v, 0) / samples.length);
}
