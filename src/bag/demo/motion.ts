/**
 * The demo robot's motion: a fixed velocity-command profile (forward, left turn, forward, right turn, approach
 * the target, stop) and the planar odometry it produces through a first-order velocity response, as a Go2's
 * sport mode roughly behaves. Pure functions; times in seconds from the start of the bag.
 */

/** (time_s, forward velocity_mps, yaw rate_radps) keyframes, linearly interpolated; zero after the last. */
export const DEMO_COMMAND_KEYFRAMES: readonly (readonly [number, number, number])[] = [
  [0, 0, 0],
  [1.5, 0.5, 0],
  [9.0, 0.5, 0],
  [9.5, 0.35, 0],
  [10.0, 0.35, 0.45],
  [13.0, 0.35, 0.45],
  [13.5, 0.5, 0],
  [21.5, 0.5, 0],
  [22.0, 0.35, 0],
  [22.5, 0.35, -0.45],
  [25.5, 0.35, -0.45],
  [26.0, 0.5, 0],
  [30.0, 0.5, 0],
  [32.5, 0.15, 0],
  [34.0, 0, 0],
];

/** Time by which the robot has stopped in front of the target. */
export const DEMO_MOTION_END_S = 35;
/** Times separating the three corridor legs (middle of each turn). */
export const DEMO_LEG_BOUNDARIES_S: readonly number[] = [11.5, 24.0];

export interface VelocityCommand {
  linear_mps: number;
  angular_radps: number;
}

export interface PlanarState {
  t_s: number;
  x_m: number;
  y_m: number;
  yaw_rad: number;
  /** Body-frame velocities actually achieved (what odometry reports). */
  v_mps: number;
  w_radps: number;
}

export function commandAt(t_s: number, keyframes = DEMO_COMMAND_KEYFRAMES): VelocityCommand {
  const last = keyframes[keyframes.length - 1]!;
  if (t_s <= keyframes[0]![0]) return { linear_mps: keyframes[0]![1], angular_radps: keyframes[0]![2] };
  if (t_s >= last[0]) return { linear_mps: last[1], angular_radps: last[2] };
  let i = 1;
  while (keyframes[i]![0] < t_s) i++;
  const [t0, v0, w0] = keyframes[i - 1]!;
  const [t1, v1, w1] = keyframes[i]!;
  const a = (t_s - t0) / (t1 - t0);
  return { linear_mps: v0 + a * (v1 - v0), angular_radps: w0 + a * (w1 - w0) };
}

/** Within these of the command the robot's velocity is the command (a Go2 stands still, it does not creep). */
const SETTLE_MPS = 1e-3;
const SETTLE_RADPS = 1e-3;

/**
 * One step of the first-order response, settling exactly on the command once close to it: an exponential
 * approach alone never reaches zero and decays into subnormal numbers (1e-300 m/s) that plots show as noise.
 */
export function follow(current: number, command: number, k: number, settle: number): number {
  const next = current + (command - current) * k;
  return Math.abs(command - next) < settle ? command : next;
}

/**
 * Integrates the commands from rest at the origin (heading +x) with step `dt_s`; the body velocity follows the
 * command with time constant `lag_s`. Returns states at t = 0, dt, 2dt, … up to `duration_s`.
 */
export function simulateMotion(duration_s: number, dt_s = 0.002, lag_s = 0.12): PlanarState[] {
  const states: PlanarState[] = [];
  let x = 0;
  let y = 0;
  let yaw = 0;
  let v = 0;
  let w = 0;
  const steps = Math.ceil(duration_s / dt_s);
  const k = 1 - Math.exp(-dt_s / lag_s);
  for (let i = 0; i <= steps; i++) {
    const t = i * dt_s;
    states.push({ t_s: t, x_m: x, y_m: y, yaw_rad: yaw, v_mps: v, w_radps: w });
    const cmd = commandAt(t);
    v = follow(v, cmd.linear_mps, k, SETTLE_MPS);
    w = follow(w, cmd.angular_radps, k, SETTLE_RADPS);
    // Midpoint heading for the position update keeps arcs accurate at this step size.
    const midYaw = yaw + (w * dt_s) / 2;
    x += v * Math.cos(midYaw) * dt_s;
    y += v * Math.sin(midYaw) * dt_s;
    yaw += w * dt_s;
  }
  return states;
}

/** State at `t_s`, linearly interpolated between simulation steps (clamped to the simulated span). */
export function stateAt(states: readonly PlanarState[], t_s: number): PlanarState {
  const dt = states.length > 1 ? states[1]!.t_s - states[0]!.t_s : 1;
  const f = Math.min(Math.max(t_s / dt, 0), states.length - 1);
  const i = Math.min(Math.floor(f), states.length - 2);
  if (i < 0) return states[0]!;
  const a = states[i]!;
  const b = states[i + 1]!;
  const u = f - i;
  const lerp = (p: number, q: number): number => p + (q - p) * u;
  return {
    t_s,
    x_m: lerp(a.x_m, b.x_m),
    y_m: lerp(a.y_m, b.y_m),
    yaw_rad: lerp(a.yaw_rad, b.yaw_rad),
    v_mps: lerp(a.v_mps, b.v_mps),
    w_radps: lerp(a.w_radps, b.w_radps),
  };
}

/** Quaternion of a rotation by `yaw_rad` about +z. */
export function yawToQuaternion(yaw_rad: number): { x: number; y: number; z: number; w: number } {
  return { x: 0, y: 0, z: Math.sin(yaw_rad / 2), w: Math.cos(yaw_rad / 2) };
}
