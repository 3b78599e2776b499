import { quantile } from '../stats/distribution';

export interface PeriodStats {
  /** Intervals measured (Twists − 1). */
  readonly intervals: number;
  readonly nominal_ms: number;
  readonly period_ms: { readonly p50: number; readonly p99: number; readonly max: number };
  /** |interval − nominal period|. */
  readonly jitter_ms: { readonly p50: number; readonly p99: number; readonly max: number };
}

/** Wall-clock regularity of a periodic publication (the controller's Twists) from its publication times. */
export function periodStats(wallTimesNs: readonly bigint[], nominalNs: bigint): PeriodStats | null {
  if (wallTimesNs.length < 2) return null;
  const intervals: number[] = [];
  for (let i = 1; i < wallTimesNs.length; i++)
    intervals.push(Number(wallTimesNs[i]! - wallTimesNs[i - 1]!) / 1e6);
  const nominal = Number(nominalNs) / 1e6;
  const summary = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1]! };
  };
  return {
    intervals: intervals.length,
    nominal_ms: nominal,
    period_ms: summary(intervals),
    jitter_ms: summary(intervals.map((v) => Math.abs(v - nominal))),
  };
}
