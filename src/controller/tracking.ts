import { between, type BodyTwist, type Pose2D } from '../geometry/se2';
import type { TrajectorySample } from '../geometry/trajectory';

export interface TrackingGains {
  /** Proportional gain on the position error, 1/s (m/s of command per m of error). */
  readonly gain_xy_per_s: number;
  /** Proportional gain on the heading error, 1/s. */
  readonly gain_theta_per_s: number;
}

export interface TrackingCommand {
  /** Desired body twist before velocity and acceleration limits. */
  readonly twist: BodyTwist;
  /** Reference pose seen from the robot (undefined without odometry): what the feedback acts on. */
  readonly error?: Pose2D;
}

/**
 * Where the robot is now in the plan frame: the plan frame is the robot at the plan stamp, whose odometry pose
 * the planner recorded as `inputPose`, so the current odometry pose re-expressed relative to it is the robot's
 * progress since the input frame was taken.
 */
export function robotInPlanFrame(inputPose: Pose2D, currentOdomPose: Pose2D): Pose2D {
  return between(inputPose, currentOdomPose);
}

/**
 * Command for the reference `sample`. Without a robot pose this is the feed-forward twist of the current step.
 * With one, the reference is re-expressed in the robot's current frame (error e = robot⁻¹ ⊕ reference); the
 * feed-forward twist is rotated by the heading error into the robot frame, and a proportional term per axis
 * steers towards the reference (the Go2 moves holonomically, so x, y and θ are corrected independently).
 */
export function trackingCommand(
  sample: TrajectorySample,
  robotPose: Pose2D | undefined,
  gains: TrackingGains,
): TrackingCommand {
  if (!robotPose) return { twist: sample.twist };
  const error = between(robotPose, sample.pose);
  const c = Math.cos(error.theta_rad);
  const s = Math.sin(error.theta_rad);
  const ff = sample.twist;
  return {
    error,
    twist: {
      vx_mps: c * ff.vx_mps - s * ff.vy_mps + gains.gain_xy_per_s * error.x_m,
      vy_mps: s * ff.vx_mps + c * ff.vy_mps + gains.gain_xy_per_s * error.y_m,
      wz_radps: ff.wz_radps + gains.gain_theta_per_s * error.theta_rad,
    },
  };
}
