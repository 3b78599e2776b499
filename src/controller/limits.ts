import { isFiniteTwist, type BodyTwist } from '../geometry/se2';

export interface VelocityLimits {
  readonly max_vx_mps: number;
  /** Largest reverse speed as a negative number (0 forbids reversing). */
  readonly min_vx_mps: number;
  readonly max_vy_mps: number;
  readonly max_wz_radps: number;
}

export interface AccelerationLimits {
  readonly max_ax_mps2: number;
  readonly max_ay_mps2: number;
  readonly max_alpha_radps2: number;
}

function assertFinite(twist: BodyTwist, what: string): void {
  if (!isFiniteTwist(twist)) {
    throw new RangeError(
      `${what}: non-finite twist vx=${twist.vx_mps} m/s, vy=${twist.vy_mps} m/s, wz=${twist.wz_radps} rad/s`,
    );
  }
}

/**
 * Scales the whole twist down by one factor until every component is within its limit, so the robot follows
 * the same arc more slowly instead of a different path (clipping axes separately would change the curvature).
 * A reverse component with reversing forbidden (min_vx_mps = 0) is zeroed first: turning on the spot is then
 * the closest allowed motion.
 */
export function clampVelocity(twist: BodyTwist, limits: VelocityLimits): BodyTwist {
  assertFinite(twist, 'clampVelocity');
  const vx = limits.min_vx_mps >= 0 && twist.vx_mps < 0 ? 0 : twist.vx_mps;
  const vxLimit = vx >= 0 ? limits.max_vx_mps : -limits.min_vx_mps;
  let scale = 1;
  if (Math.abs(vx) > vxLimit) scale = Math.min(scale, vxLimit / Math.abs(vx));
  if (Math.abs(twist.vy_mps) > limits.max_vy_mps)
    scale = Math.min(scale, limits.max_vy_mps / Math.abs(twist.vy_mps));
  if (Math.abs(twist.wz_radps) > limits.max_wz_radps) {
    scale = Math.min(scale, limits.max_wz_radps / Math.abs(twist.wz_radps));
  }
  // The clamp keeps rounding from leaving the box by an ulp after scaling.
  return {
    vx_mps: clamp(vx * scale, Math.min(0, limits.min_vx_mps), limits.max_vx_mps),
    vy_mps: clamp(twist.vy_mps * scale, -limits.max_vy_mps, limits.max_vy_mps),
    wz_radps: clamp(twist.wz_radps * scale, -limits.max_wz_radps, limits.max_wz_radps),
  };
}

/**
 * Moves each component from `previous` towards `target` by at most its acceleration limit times dt_s.
 * If both lie within the velocity limits, so does the result (the limits form a box).
 */
export function limitAcceleration(
  previous: BodyTwist,
  target: BodyTwist,
  dt_s: number,
  limits: AccelerationLimits,
): BodyTwist {
  assertFinite(previous, 'limitAcceleration previous');
  assertFinite(target, 'limitAcceleration target');
  if (!(dt_s >= 0) || !Number.isFinite(dt_s)) throw new RangeError(`limitAcceleration: dt_s = ${dt_s}`);
  const step = (from: number, to: number, maxRate: number) => {
    const maxChange = maxRate * dt_s;
    // Returning `to` itself when reachable keeps it exact (from + (to − from) may be off by an ulp); the
    // 1e-12 slack lets a ramp of n equal steps end on its n-th step despite rounding in the steps.
    if (Math.abs(to - from) <= maxChange + 1e-12) return to;
    return to > from ? from + maxChange : from - maxChange;
  };
  return {
    vx_mps: step(previous.vx_mps, target.vx_mps, limits.max_ax_mps2),
    vy_mps: step(previous.vy_mps, target.vy_mps, limits.max_ay_mps2),
    wz_radps: step(previous.wz_radps, target.wz_radps, limits.max_alpha_radps2),
  };
}

export function isZeroTwist(twist: BodyTwist): boolean {
  return twist.vx_mps === 0 && twist.vy_mps === 0 && twist.wz_radps === 0;
}

function clamp(value: number, lo: number, hi: number): number {
  return value < lo ? lo : value > hi ? hi : value;
}
