import type { Odometry, PlanMsg, Pose } from '../../src/messages/ros';
import { nsToStamp, type TimeNs } from '../../src/messages/time';

export interface Ground {
  x_m: number;
  y_m: number;
  theta_rad: number;
}

export function rosPose(p: Ground, z = 0): Pose {
  return {
    position: { x: p.x_m, y: p.y_m, z },
    orientation: { x: 0, y: 0, z: Math.sin(p.theta_rad / 2), w: Math.cos(p.theta_rad / 2) },
  };
}

/** A Plan message of `n` identical or listed steps. */
export function planMsg(o: {
  stampNs: TimeNs;
  sequence?: number;
  dx_m?: number | number[];
  dy_m?: number | number[];
  dtheta_rad?: number | number[];
  step_dt_s?: number;
  inputPose?: Ground;
  latency_s?: number;
  n?: number;
}): PlanMsg {
  const n = o.n ?? 8;
  const steps = (v: number | number[] | undefined) =>
    Array.isArray(v) ? v : new Array<number>(n).fill(v ?? 0);
  return {
    header: { stamp: nsToStamp(o.stampNs), frame_id: 'base_link' },
    sequence: o.sequence ?? 0,
    episode_id: 'episode-1',
    instruction: 'walk forward to the door',
    step_dt_s: o.step_dt_s ?? 0.25,
    dx_m: steps(o.dx_m),
    dy_m: steps(o.dy_m),
    dtheta_rad: steps(o.dtheta_rad),
    has_input_pose: o.inputPose !== undefined,
    input_pose: rosPose(o.inputPose ?? { x_m: 0, y_m: 0, theta_rad: 0 }),
    latency_s: o.latency_s ?? 0,
    untrained_model: false,
    action_source: 'learned',
    action_confidence: -1,
  };
}

export function odometry(
  stampNs: TimeNs,
  pose: Ground,
  twist: { vx?: number; vy?: number; wz?: number } = {},
): Odometry {
  return {
    header: { stamp: nsToStamp(stampNs), frame_id: 'odom' },
    child_frame_id: 'base_link',
    pose: { pose: rosPose(pose), covariance: new Array<number>(36).fill(0) },
    twist: {
      twist: {
        linear: { x: twist.vx ?? 0, y: twist.vy ?? 0, z: 0 },
        angular: { x: 0, y: 0, z: twist.wz ?? 0 },
      },
      covariance: new Array<number>(36).fill(0),
    },
  };
}

export function closeTo(actual: number, expected: number, tol: number, what = 'value'): void {
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(`${what}: expected ${expected} ± ${tol}, got ${actual}`);
  }
}
