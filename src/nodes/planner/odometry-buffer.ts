import { groundPoseFromRos } from '../../geometry/se2';
import type { Odometry } from '../../messages/ros';
import { stampToNs, type TimeNs } from '../../messages/time';
import type { InputPose } from './messages';

/**
 * Recent odometry by stamp, to find the robot's pose at a camera frame's stamp (the plan's input pose).
 * Holds `spanNs` of history; odometry with non-finite numbers or a degenerate quaternion is refused.
 */
export class OdometryBuffer {
  #samples: { stampNs: TimeNs; pose: InputPose }[] = [];

  constructor(readonly spanNs: TimeNs) {}

  /** Adds a message; returns why it was refused, or undefined. */
  push(msg: Odometry): string | undefined {
    const ground = groundPoseFromRos(msg.pose.pose);
    if ('error' in ground) return ground.error;
    const stampNs = stampToNs(msg.header.stamp);
    const last = this.#samples[this.#samples.length - 1];
    if (last && stampNs <= last.stampNs) {
      // A jump back by more than the span is a new time base (a looped bag, a restarted simulation), not a late
      // message: start over rather than refusing every message until the stamps catch up.
      if (last.stampNs - stampNs <= this.spanNs)
        return `stamp ${stampNs} ns is not after the previous ${last.stampNs} ns`;
      this.#samples = [];
    }
    this.#samples.push({ stampNs, pose: { pose: msg.pose.pose, ground, frameId: msg.header.frame_id } });
    while (this.#samples.length > 1 && this.#samples[0]!.stampNs < stampNs - this.spanNs)
      this.#samples.shift();
    return undefined;
  }

  /** The sample nearest `stampNs` if it lies within `maxOffsetNs` of it. */
  nearest(stampNs: TimeNs, maxOffsetNs: TimeNs): InputPose | undefined {
    let best: { stampNs: TimeNs; pose: InputPose } | undefined;
    let bestOffset = 0n;
    for (const s of this.#samples) {
      const offset = s.stampNs > stampNs ? s.stampNs - stampNs : stampNs - s.stampNs;
      if (!best || offset < bestOffset) {
        best = s;
        bestOffset = offset;
      }
    }
    return best && bestOffset <= maxOffsetNs ? best.pose : undefined;
  }

  /** The newest accepted sample: what `push` just took when it returned undefined. */
  get latest(): { readonly stampNs: TimeNs; readonly pose: InputPose } | undefined {
    return this.#samples[this.#samples.length - 1];
  }

  clear(): void {
    this.#samples = [];
  }
}
