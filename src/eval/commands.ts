/**
 * What the controller commanded and how the robot followed: smoothness of the commanded Twists (jerk) and
 * stop behaviour (how soon after a stop the robot stands still, and whether zero Twists were sent).
 */
import type { Twist } from '../messages/ros';
import { nsToSeconds, secondsToNs, type TimeNs } from '../messages/time';
import { describeSampleTime, type OdometryTrack } from './odometry';
import type { EvalOptions, JerkStats, StopRow } from './report';
import { rms } from '../stats/distribution';

export interface StampedTwist {
  readonly timeNs: TimeNs;
  readonly twist: Twist;
}

/** The controller's JSON status (std_msgs/String on controller.status_topic), reduced to what stops need. */
export interface StampedControllerStatus {
  readonly timeNs: TimeNs;
  readonly state: 'moving' | 'stopping' | 'stopped';
  readonly stopKind: string | null;
}

export interface CommandSample {
  readonly timeNs: TimeNs;
  readonly vx: number;
  readonly vy: number;
  readonly wz: number;
}

/** Commands in time order with their three planar components; non-finite ones are noted and left out. */
export function commandSamples(
  commands: readonly StampedTwist[],
  topic: string,
): { samples: CommandSample[]; rejected: string[] } {
  const rejected: string[] = [];
  const samples: CommandSample[] = [];
  for (const { timeNs, twist } of commands) {
    const s = { timeNs, vx: twist.linear.x, vy: twist.linear.y, wz: twist.angular.z };
    const bad = (['vx', 'vy', 'wz'] as const).find((k) => typeof s[k] !== 'number' || !Number.isFinite(s[k]));
    if (bad) {
      rejected.push(`rejected ${describeSampleTime(topic, timeNs)}: ${bad} is ${String(s[bad])}`);
      continue;
    }
    samples.push(s);
  }
  samples.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
  return { samples, rejected };
}

/**
 * RMS per axis of the commanded jerk: the second difference of velocity over the sample spacing,
 * 2·((v₊ − v)/h₂ − (v − v₋)/h₁)/(h₁ + h₂), which is (v₊ − 2v + v₋)/dt² for evenly spaced commands. Triples
 * with a spacing of zero or above `maxGap_s` (the stream paused) are left out.
 */
export function commandJerk(samples: readonly CommandSample[], maxGap_s: number): JerkStats {
  const jx: number[] = [];
  const jy: number[] = [];
  const jw: number[] = [];
  for (let k = 1; k + 1 < samples.length; k++) {
    const a = samples[k - 1]!;
    const b = samples[k]!;
    const c = samples[k + 1]!;
    const h1 = nsToSeconds(b.timeNs - a.timeNs);
    const h2 = nsToSeconds(c.timeNs - b.timeNs);
    if (!(h1 > 0 && h2 > 0 && h1 <= maxGap_s && h2 <= maxGap_s)) continue;
    const second = (va: number, vb: number, vc: number) =>
      (2 * ((vc - vb) / h2 - (vb - va) / h1)) / (h1 + h2);
    jx.push(second(a.vx, b.vx, c.vx));
    jy.push(second(a.vy, b.vy, c.vy));
    jw.push(second(a.wz, b.wz, c.wz));
  }
  return { samples: jx.length, vx_mps3: rms(jx), vy_mps3: rms(jy), wz_radps3: rms(jw) };
}

function isZero(c: CommandSample): boolean {
  return c.vx === 0 && c.vy === 0 && c.wz === 0;
}

interface StopEvent {
  readonly timeNs: TimeNs;
  readonly source: StopRow['source'];
  readonly reason: string;
}

/**
 * Stops: the controller leaving 'moving' (with its stop reason), and the command stream going from motion to
 * an all-zero Twist where no status announced a stop (a controller without a status topic, or a bag
 * without it). A zero Twist that ends a stop the status already announced is the same stop, not another.
 */
export function stopEvents(
  statuses: readonly StampedControllerStatus[],
  commands: readonly CommandSample[],
): StopEvent[] {
  const events: StopEvent[] = [];
  const sorted = [...statuses].sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
  // Intervals during which the status says the robot is not moving: [start, next 'moving').
  const stoppedSpans: [TimeNs, TimeNs | undefined][] = [];
  let previous: StampedControllerStatus['state'] | undefined;
  for (const s of sorted) {
    if (s.state !== 'moving' && previous === 'moving') {
      events.push({ timeNs: s.timeNs, source: 'controller_status', reason: s.stopKind ?? 'unknown' });
      stoppedSpans.push([s.timeNs, undefined]);
    } else if (s.state === 'moving' && previous !== undefined && previous !== 'moving') {
      const open = stoppedSpans[stoppedSpans.length - 1];
      if (open && open[1] === undefined) open[1] = s.timeNs;
    }
    previous = s.state;
  }
  const announced = (t: TimeNs) => stoppedSpans.some(([a, b]) => t >= a && (b === undefined || t < b));
  for (let k = 1; k < commands.length; k++) {
    const c = commands[k]!;
    if (isZero(c) && !isZero(commands[k - 1]!) && !announced(c.timeNs)) {
      events.push({ timeNs: c.timeNs, source: 'zero_command', reason: 'zero_command' });
    }
  }
  return events.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
}

/** For each stop: time to stillness from odometry speed, and time to the first zero Twist, within the window. */
export function stopRows(
  events: readonly StopEvent[],
  commands: readonly CommandSample[],
  track: OdometryTrack,
  options: Pick<EvalOptions, 'stillLinear_mps' | 'stillAngular_radps' | 'stopWindow_s'>,
): StopRow[] {
  const windowNs = secondsToNs(options.stopWindow_s);
  return events.map((e) => {
    const end = e.timeNs + windowNs;
    const still = track
      .between(e.timeNs, end)
      .find(
        (s) =>
          Math.hypot(s.twist.vx_mps, s.twist.vy_mps) < options.stillLinear_mps &&
          Math.abs(s.twist.wz_radps) < options.stillAngular_radps,
      );
    const zero = commands.find((c) => c.timeNs >= e.timeNs && c.timeNs <= end && isZero(c));
    return {
      stamp_s: nsToSeconds(e.timeNs),
      source: e.source,
      reason: e.reason,
      time_to_still_s: still ? nsToSeconds(still.stampNs - e.timeNs) : null,
      zero_twist_after_s: zero ? nsToSeconds(zero.timeNs - e.timeNs) : null,
    };
  });
}
