/**
 * The robot's own measured speed as a check on the scale read from the floor. The first step of an imagined
 * future starts from the current state, and a legged robot cannot change speed much within 0.25 s, so a first
 * step whose speed is far from the measured one means the ground-plane scale (mount height, intrinsics) or the
 * imagined motion is off. A robot at rest may start at any speed: the check then does not apply.
 */

export interface MeasuredVelocity {
  /** Body-frame velocity from odometry (nav_msgs/Odometry twist, child frame base_link). */
  readonly vx_mps: number;
  readonly vy_mps: number;
}

export interface OdometryCheck {
  readonly measured_mps: number;
  /** Speed of the plan's first step (its length over the step time). */
  readonly estimated_mps: number;
  readonly tolerance_mps: number;
  /** False when the measured speed is below the threshold where the check means something. */
  readonly applicable: boolean;
  /** True when not applicable, or when the two speeds are within the tolerance. */
  readonly consistent: boolean;
}

export function checkAgainstOdometry(
  firstStep: readonly [number, number, number],
  stepDt_s: number,
  measured: MeasuredVelocity,
  tolerance_mps: number,
  minSpeed_mps: number,
): OdometryCheck {
  const measuredSpeed = Math.hypot(measured.vx_mps, measured.vy_mps);
  const estimated = Math.hypot(firstStep[0], firstStep[1]) / stepDt_s;
  if (!Number.isFinite(measuredSpeed)) {
    throw new RangeError(`odometry velocity (${measured.vx_mps}, ${measured.vy_mps}) m/s is not finite`);
  }
  const applicable = measuredSpeed >= minSpeed_mps;
  const consistent = !applicable || Math.abs(estimated - measuredSpeed) <= tolerance_mps;
  return { measured_mps: measuredSpeed, estimated_mps: estimated, tolerance_mps, applicable, consistent };
}
