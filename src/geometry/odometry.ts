import type { TimeNs } from '../messages/time';
import type { BodyTwist, Pose2D } from './se2';

/**
 * One odometry reading projected onto the ground plane: where the robot was at `stampNs` in the odometry
 * frame, and how it was moving in its own body frame. Built from nav_msgs/Odometry at the message boundary
 * (messages/odometry.ts), which guarantees finite numbers.
 */
export interface OdometrySample {
  readonly stampNs: TimeNs;
  readonly pose: Pose2D;
  readonly twist: BodyTwist;
}
