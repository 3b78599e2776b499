/**
 * The robot's actual motion, from odometry: samples checked for finite numbers, sorted by stamp, and
 * interpolated at any time they cover.
 */
import type { OdometrySample } from '../geometry/odometry';
import { wrapAngle, type Pose2D } from '../geometry/se2';
import { odometrySampleFromMsg } from '../messages/odometry';
import type { Odometry } from '../messages/ros';
import { nsToSeconds, type TimeNs } from '../messages/time';

/** An odometry message and the time it stands for (its header stamp, or the log time when that is zero). */
export interface StampedOdometry {
  readonly stampNs: TimeNs;
  readonly msg: Odometry;
}

/** A rejected sample, named by topic and time so that it can be found in the bag. */
export function describeSampleTime(topic: string, stampNs: TimeNs): string {
  return `${topic} at ${nsToSeconds(stampNs).toFixed(3)} s`;
}

export class OdometryTrack {
  readonly samples: readonly OdometrySample[];
  /** One line per rejected message. */
  readonly rejected: readonly string[];

  private constructor(samples: OdometrySample[], rejected: string[]) {
    this.samples = samples;
    this.rejected = rejected;
  }

  /** Keeps the finite samples in stamp order (the later of two equal stamps wins) and notes the others. */
  static fromMessages(messages: readonly StampedOdometry[], topic: string): OdometryTrack {
    const rejected: string[] = [];
    const byStamp = new Map<TimeNs, OdometrySample>();
    for (const { stampNs, msg } of messages) {
      const sample = odometrySampleFromMsg(msg, stampNs);
      if ('error' in sample) {
        rejected.push(`rejected ${describeSampleTime(topic, stampNs)}: ${sample.error}`);
        continue;
      }
      byStamp.set(stampNs, sample);
    }
    const samples = [...byStamp.values()].sort((a, b) =>
      a.stampNs < b.stampNs ? -1 : a.stampNs > b.stampNs ? 1 : 0,
    );
    return new OdometryTrack(samples, rejected);
  }

  /** Index of the last sample at or before t, or −1. */
  #floor(tNs: TimeNs): number {
    let lo = 0;
    let hi = this.samples.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.samples[mid]!.stampNs <= tNs) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /**
   * Why [startNs, endNs] is not covered densely enough to interpolate in, or undefined when it is: no sample
   * at or before the start or at or after the end, or two consecutive samples inside further apart than maxGapNs.
   */
  coverageProblem(startNs: TimeNs, endNs: TimeNs, maxGapNs: TimeNs): string | undefined {
    const first = this.#floor(startNs);
    const n = this.samples.length;
    if (n === 0) return 'no odometry';
    if (first < 0) {
      return `odometry starts at ${nsToSeconds(this.samples[0]!.stampNs).toFixed(3)} s, after the window start ${nsToSeconds(startNs).toFixed(3)} s`;
    }
    const lastStamp = this.samples[n - 1]!.stampNs;
    if (lastStamp < endNs) {
      return `odometry ends at ${nsToSeconds(lastStamp).toFixed(3)} s, before the window end ${nsToSeconds(endNs).toFixed(3)} s`;
    }
    for (let i = first; i + 1 < n && this.samples[i]!.stampNs < endNs; i++) {
      const gap = this.samples[i + 1]!.stampNs - this.samples[i]!.stampNs;
      if (gap > maxGapNs) {
        return `odometry gap of ${nsToSeconds(gap).toFixed(3)} s after ${nsToSeconds(this.samples[i]!.stampNs).toFixed(3)} s (limit ${nsToSeconds(maxGapNs)} s)`;
      }
    }
    return undefined;
  }

  /** Pose at t, linear between the neighbouring samples (yaw the short way round); undefined outside the track. */
  poseAt(tNs: TimeNs): Pose2D | undefined {
    const i = this.#floor(tNs);
    if (i < 0) return undefined;
    const a = this.samples[i]!;
    if (a.stampNs === tNs) return a.pose;
    const b = this.samples[i + 1];
    if (!b) return undefined;
    const f = Number(tNs - a.stampNs) / Number(b.stampNs - a.stampNs);
    return {
      x_m: a.pose.x_m + f * (b.pose.x_m - a.pose.x_m),
      y_m: a.pose.y_m + f * (b.pose.y_m - a.pose.y_m),
      theta_rad: wrapAngle(a.pose.theta_rad + f * wrapAngle(b.pose.theta_rad - a.pose.theta_rad)),
    };
  }

  /** Samples with stamps in [startNs, endNs]. */
  between(startNs: TimeNs, endNs: TimeNs): OdometrySample[] {
    const out: OdometrySample[] = [];
    for (let i = Math.max(0, this.#floor(startNs)); i < this.samples.length; i++) {
      const s = this.samples[i]!;
      if (s.stampNs > endNs) break;
      if (s.stampNs >= startNs) out.push(s);
    }
    return out;
  }
}
