import type { Time } from './ros';

/** Time inside the package is bigint nanoseconds; ROS stamps are converted at the edges. */
export type TimeNs = bigint;

export const NS_PER_S = 1_000_000_000n;

export function stampToNs(t: Time): TimeNs {
  return BigInt(t.sec) * NS_PER_S + BigInt(t.nanosec);
}

/**
 * What makes a received stamp unusable (a non-integer second, a nanosecond outside [0, 1e9)), naming the
 * field, or undefined when `stampToNs` can take it.
 */
export function stampProblem(
  t: Time,
): { field: 'sec' | 'nanosec'; value: unknown; reason: string } | undefined {
  if (!Number.isSafeInteger(t.sec)) return { field: 'sec', value: t.sec, reason: 'not an integer' };
  if (!Number.isSafeInteger(t.nanosec) || t.nanosec < 0 || t.nanosec >= 1e9) {
    return { field: 'nanosec', value: t.nanosec, reason: 'not an integer in [0, 1e9)' };
  }
  return undefined;
}

export function nsToStamp(ns: TimeNs): Time {
  const sec = ns / NS_PER_S;
  let nanosec = ns % NS_PER_S;
  let s = sec;
  if (nanosec < 0n) {
    nanosec += NS_PER_S;
    s -= 1n;
  }
  return { sec: Number(s), nanosec: Number(nanosec) };
}

export function nsToSeconds(ns: TimeNs): number {
  return Number(ns) / 1e9;
}

export function secondsToNs(s: number): TimeNs {
  return BigInt(Math.round(s * 1e9));
}

/** Seconds with 9 decimals from bigint nanoseconds, exactly (a float loses nanoseconds at robot-clock magnitudes). */
export function formatStamp(ns: TimeNs): string {
  const { sec, nanosec } = nsToStamp(ns);
  return `${sec}.${String(nanosec).padStart(9, '0')}`;
}
