/**
 * Planar rigid motions (SE(2)) in the ground plane of REP-103: x forward, y left, theta counter-clockwise.
 * A pose is "b expressed in a's frame" wherever two frames are involved; `compose(a, b)` chains them.
 */
export interface Pose2D {
  readonly x_m: number;
  readonly y_m: number;
  readonly theta_rad: number;
}

/** Body-frame velocity, the quantity geometry_msgs/Twist carries for a ground robot. */
export interface BodyTwist {
  readonly vx_mps: number;
  readonly vy_mps: number;
  readonly wz_radps: number;
}

/** A pose together with the frame it is expressed in (e.g. the plan frame in the odometry frame). */
export interface FramedPose {
  readonly frameId: string;
  readonly pose: Pose2D;
}

/** An orientation in 3D, laid out as geometry_msgs/Quaternion; any non-zero scale is accepted. */
export interface Quaternion {
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly w: number;
}

/** A rigid pose in 3D, laid out as geometry_msgs/Pose: what odometry and plans carry before ground projection. */
export interface Pose3D {
  readonly position: { readonly x: number; readonly y: number; readonly z: number };
  readonly orientation: Quaternion;
}

export const IDENTITY_POSE: Pose2D = Object.freeze({ x_m: 0, y_m: 0, theta_rad: 0 });
export const ZERO_TWIST: BodyTwist = Object.freeze({ vx_mps: 0, vy_mps: 0, wz_radps: 0 });

/** Wraps an angle into (−π, π]. */
export function wrapAngle(theta_rad: number): number {
  if (theta_rad > -Math.PI && theta_rad <= Math.PI) return theta_rad;
  // atan2 of (sin, cos) stays exact in range even for huge angles, where subtracting multiples of 2π does not.
  const wrapped = Math.atan2(Math.sin(theta_rad), Math.cos(theta_rad));
  return wrapped <= -Math.PI ? Math.PI : wrapped;
}

/** a ⊕ b: the pose b (given in a's frame) expressed in the frame a is given in. */
export function compose(a: Pose2D, b: Pose2D): Pose2D {
  const c = Math.cos(a.theta_rad);
  const s = Math.sin(a.theta_rad);
  return {
    x_m: a.x_m + c * b.x_m - s * b.y_m,
    y_m: a.y_m + s * b.x_m + c * b.y_m,
    theta_rad: wrapAngle(a.theta_rad + b.theta_rad),
  };
}

export function inverse(a: Pose2D): Pose2D {
  const c = Math.cos(a.theta_rad);
  const s = Math.sin(a.theta_rad);
  return {
    x_m: -c * a.x_m - s * a.y_m,
    y_m: s * a.x_m - c * a.y_m,
    theta_rad: wrapAngle(-a.theta_rad),
  };
}

/** a⁻¹ ⊕ b: where b is, seen from a. */
export function between(a: Pose2D, b: Pose2D): Pose2D {
  return compose(inverse(a), b);
}

/**
 * The point form of `between`: where the point (x, y), given in the frame `frame` is given in, lies seen from
 * `frame`. Rotating the offset directly keeps it one rotation, where `between` would invert and compose.
 */
export function pointInFrame(frame: Pose2D, x_m: number, y_m: number): { x_m: number; y_m: number } {
  const dx = x_m - frame.x_m;
  const dy = y_m - frame.y_m;
  const c = Math.cos(frame.theta_rad);
  const s = Math.sin(frame.theta_rad);
  return { x_m: c * dx + s * dy, y_m: -s * dx + c * dy };
}

// sin(θ)/θ and (1 − cos θ)/θ, with their Taylor series near 0 where the quotients lose precision.
function sinc(theta: number): number {
  return Math.abs(theta) < 1e-4 ? 1 - (theta * theta) / 6 : Math.sin(theta) / theta;
}
function cosc(theta: number): number {
  return Math.abs(theta) < 1e-4 ? theta / 2 - (theta * theta * theta) / 24 : (1 - Math.cos(theta)) / theta;
}

/** The pose reached by holding a constant body twist for dt_s (the SE(2) exponential): an arc of a circle. */
export function integrateTwist(twist: BodyTwist, dt_s: number): Pose2D {
  const ux = twist.vx_mps * dt_s;
  const uy = twist.vy_mps * dt_s;
  const theta = twist.wz_radps * dt_s;
  const a = sinc(theta);
  const b = cosc(theta);
  return { x_m: a * ux - b * uy, y_m: b * ux + a * uy, theta_rad: wrapAngle(theta) };
}

/**
 * The constant body twist that moves from the identity to `delta` in dt_s (the SE(2) logarithm over dt_s).
 * Turning while moving needs a sideways component to end exactly on the waypoint; the Go2 can strafe, so the
 * exact arc is followed rather than the dx/dt approximation. The rotation is taken the short way round.
 */
export function twistBetween(delta: Pose2D, dt_s: number): BodyTwist {
  const theta = wrapAngle(delta.theta_rad);
  const a = sinc(theta);
  const b = cosc(theta);
  const det = a * a + b * b; // ≥ 4/π² for |θ| ≤ π, so never singular
  const ux = (a * delta.x_m + b * delta.y_m) / det;
  const uy = (-b * delta.x_m + a * delta.y_m) / det;
  return { vx_mps: ux / dt_s, vy_mps: uy / dt_s, wz_radps: theta / dt_s };
}

export function isFinitePose(p: Pose2D): boolean {
  return Number.isFinite(p.x_m) && Number.isFinite(p.y_m) && Number.isFinite(p.theta_rad);
}

export function isFiniteTwist(t: BodyTwist): boolean {
  return Number.isFinite(t.vx_mps) && Number.isFinite(t.vy_mps) && Number.isFinite(t.wz_radps);
}

/** Yaw of a quaternion; the formula is invariant to the quaternion's scale, so unnormalised inputs work too. */
export function yawFromQuaternion(q: Quaternion): number {
  return Math.atan2(2 * (q.w * q.z + q.x * q.y), q.w * q.w + q.x * q.x - q.y * q.y - q.z * q.z);
}

/** The rotation by `theta_rad` about z (a heading in the ground plane) as a unit quaternion. */
export function quaternionFromYaw(theta_rad: number): Quaternion {
  return { x: 0, y: 0, z: Math.sin(theta_rad / 2), w: Math.cos(theta_rad / 2) };
}

/** A ground pose as a 3D pose at height `z` (the inverse of `groundPoseFromRos` for level poses). */
export function poseFromGround(p: Pose2D, z = 0): Pose3D {
  return { position: { x: p.x_m, y: p.y_m, z }, orientation: quaternionFromYaw(p.theta_rad) };
}

/**
 * Projects a 3D ROS pose onto the ground plane, or explains why it cannot: a non-finite number or a
 * quaternion of (near) zero norm, which has no orientation.
 */
export function groundPoseFromRos(pose: Pose3D): Pose2D | { error: string } {
  const { position: p, orientation: q } = pose;
  const numbers: Record<string, number> = {
    'position.x': p.x,
    'position.y': p.y,
    'position.z': p.z,
    'orientation.x': q.x,
    'orientation.y': q.y,
    'orientation.z': q.z,
    'orientation.w': q.w,
  };
  for (const [name, value] of Object.entries(numbers)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) return { error: `${name} is ${String(value)}` };
  }
  const norm = Math.hypot(q.x, q.y, q.z, q.w);
  if (!(norm > 1e-6)) return { error: `orientation quaternion has norm ${norm}` };
  return { x_m: p.x, y_m: p.y, theta_rad: yawFromQuaternion(q) };
}
