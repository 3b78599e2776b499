/** nav_msgs/Odometry → the domain odometry sample (geometry/odometry.ts), refusing non-finite numbers by name. */
import type { OdometrySample } from '../geometry/odometry';
import { groundPoseFromRos } from '../geometry/se2';
import type { Odometry } from './ros';
import { stampProblem, stampToNs, type TimeNs } from './time';
import { bodyTwistFromMsg } from './twist';

/**
 * The ground-plane reading of an odometry message at `stampNs` (default: its header stamp), or why it has none:
 * `pose <field> is <value>` for a non-finite pose or degenerate quaternion, `twist <component> is <value>`
 * for a non-finite velocity, `header.stamp.<field> is <value>` for an unusable stamp.
 */
export function odometrySampleFromMsg(msg: Odometry, stampNs?: TimeNs): OdometrySample | { error: string } {
  const pose = groundPoseFromRos(msg.pose.pose);
  if ('error' in pose) return { error: `pose ${pose.error}` };
  const twist = bodyTwistFromMsg(msg.twist.twist);
  const bad = Object.entries(twist).find(([, v]) => typeof v !== 'number' || !Number.isFinite(v));
  if (bad) return { error: `twist ${bad[0]} is ${String(bad[1])}` };
  if (stampNs === undefined) {
    const problem = stampProblem(msg.header.stamp);
    if (problem) return { error: `header.stamp.${problem.field} is ${String(problem.value)}` };
  }
  return { stampNs: stampNs ?? stampToNs(msg.header.stamp), pose, twist };
}
