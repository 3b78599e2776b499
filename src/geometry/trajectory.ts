import type { PlanMsg } from '../messages/ros';
import { secondsToNs, stampToNs, type TimeNs } from '../messages/time';
import {
  IDENTITY_POSE,
  compose,
  groundPoseFromRos,
  integrateTwist,
  isFinitePose,
  isFiniteTwist,
  twistBetween,
  type BodyTwist,
  type Pose2D,
} from './se2';

/** A plan longer than this is not a SparseVideoNav plan (8 steps); refusing it bounds the work per tick. */
export const MAX_PLAN_STEPS = 64;
/** Steps are 0.25 s at 4 FPS; anything outside [1 ms, 5 s] is a unit or encoding mistake, not a plan. */
export const MIN_STEP_DT_S = 0.001;
export const MAX_STEP_DT_S = 5;

/**
 * A plan as a time-parameterised path. Waypoint k is the robot pose at `stampNs + k·step` in the *plan frame*
 * (the robot's base frame at the plan stamp); between waypoints the robot holds `twists[k]`, so the path is a
 * chain of circular arcs that passes exactly through every waypoint.
 */
export interface Trajectory {
  readonly sequence: number;
  readonly episodeId: string;
  readonly stampNs: TimeNs;
  readonly stepNs: TimeNs;
  readonly step_dt_s: number;
  /** n + 1 poses, waypoints[0] = identity. */
  readonly waypoints: readonly Pose2D[];
  /** n body twists, one per step. */
  readonly twists: readonly BodyTwist[];
  /** Odometry pose at the plan stamp, when the planner knew it: ties the plan frame to the odometry frame. */
  readonly inputPose?: Pose2D;
}

/** A plan that cannot be executed; `field` and `value` name what was wrong. */
export class InvalidPlanError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    reason: string,
  ) {
    super(`invalid plan: ${field} = ${formatValue(value)}: ${reason}`);
    this.name = 'InvalidPlanError';
  }
}

function formatValue(value: unknown): string {
  return typeof value === 'number' || typeof value === 'bigint' ? String(value) : JSON.stringify(value);
}

function checkStamp(plan: PlanMsg): TimeNs {
  const { sec, nanosec } = plan.header.stamp;
  if (!Number.isSafeInteger(sec)) throw new InvalidPlanError('header.stamp.sec', sec, 'not an integer');
  if (!Number.isSafeInteger(nanosec) || nanosec < 0 || nanosec >= 1e9) {
    throw new InvalidPlanError('header.stamp.nanosec', nanosec, 'not an integer in [0, 1e9)');
  }
  return stampToNs(plan.header.stamp);
}

/** Validates a Plan message and composes its actions into a trajectory; throws InvalidPlanError. */
export function trajectoryFromPlan(plan: PlanMsg): Trajectory {
  const stampNs = checkStamp(plan);
  const step_dt_s = plan.step_dt_s;
  if (typeof step_dt_s !== 'number' || !(step_dt_s >= MIN_STEP_DT_S && step_dt_s <= MAX_STEP_DT_S)) {
    throw new InvalidPlanError('step_dt_s', step_dt_s, `must be in [${MIN_STEP_DT_S}, ${MAX_STEP_DT_S}] s`);
  }
  for (const field of ['dx_m', 'dy_m', 'dtheta_rad'] as const) {
    const values: unknown = plan[field];
    if (
      typeof values !== 'object' ||
      values === null ||
      typeof (values as ArrayLike<number>).length !== 'number'
    ) {
      throw new InvalidPlanError(field, values, 'not an array');
    }
  }
  const n = plan.dx_m.length;
  if (n < 1 || n > MAX_PLAN_STEPS) {
    throw new InvalidPlanError('dx_m.length', n, `must be in [1, ${MAX_PLAN_STEPS}]`);
  }
  if (plan.dy_m.length !== n || plan.dtheta_rad.length !== n) {
    throw new InvalidPlanError(
      'dy_m.length/dtheta_rad.length',
      [plan.dy_m.length, plan.dtheta_rad.length],
      `must equal dx_m.length ${n}`,
    );
  }
  const waypoints: Pose2D[] = [IDENTITY_POSE];
  const twists: BodyTwist[] = [];
  for (let k = 0; k < n; k++) {
    const step = { x_m: plan.dx_m[k]!, y_m: plan.dy_m[k]!, theta_rad: plan.dtheta_rad[k]! };
    for (const [field, value] of [
      ['dx_m', step.x_m],
      ['dy_m', step.y_m],
      ['dtheta_rad', step.theta_rad],
    ] as const) {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new InvalidPlanError(`${field}[${k}]`, value, 'not a finite number');
      }
    }
    const next = compose(waypoints[k]!, step);
    const twist = twistBetween(step, step_dt_s);
    // Finite but absurd actions (1e300 m) overflow when chained; such a plan is as unusable as a NaN one.
    if (!isFinitePose(next)) throw new InvalidPlanError(`waypoint[${k + 1}]`, next, 'overflows');
    if (!isFiniteTwist(twist)) throw new InvalidPlanError(`twist[${k}]`, twist, 'overflows');
    waypoints.push(next);
    twists.push(twist);
  }
  let inputPose: Pose2D | undefined;
  if (plan.has_input_pose) {
    const ground = groundPoseFromRos(plan.input_pose);
    if ('error' in ground) throw new InvalidPlanError('input_pose', plan.input_pose, ground.error);
    inputPose = ground;
  }
  return {
    sequence: plan.sequence,
    episodeId: plan.episode_id,
    stampNs,
    stepNs: secondsToNs(step_dt_s),
    step_dt_s,
    waypoints,
    twists,
    ...(inputPose ? { inputPose } : {}),
  };
}

export function trajectoryEndNs(trajectory: Trajectory): TimeNs {
  return trajectory.stampNs + trajectory.stepNs * BigInt(trajectory.twists.length);
}

export interface TrajectorySample {
  /** Reference pose in the plan frame. */
  readonly pose: Pose2D;
  /** Feed-forward body twist of the current step, expressed in the reference pose's frame. */
  readonly twist: BodyTwist;
  readonly step: number;
}

/**
 * The reference at time `tNs`: the part of the trajectory that elapsed since the plan stamp (planning
 * latency included) is skipped. A plan stamped in the future (clock skew) is held at its start. Returns
 * undefined once the trajectory is exhausted.
 */
export function sampleTrajectory(trajectory: Trajectory, tNs: TimeNs): TrajectorySample | undefined {
  const elapsedNs = tNs > trajectory.stampNs ? tNs - trajectory.stampNs : 0n;
  const step = Number(elapsedNs / trajectory.stepNs);
  if (step >= trajectory.twists.length) return undefined;
  const withinStep_s = Number(elapsedNs - BigInt(step) * trajectory.stepNs) / 1e9;
  const twist = trajectory.twists[step]!;
  return { pose: compose(trajectory.waypoints[step]!, integrateTwist(twist, withinStep_s)), twist, step };
}

/** Net motion of the whole plan: how far and how much it turns the robot from where the plan starts. */
export function netDisplacement(trajectory: Trajectory): { distance_m: number; rotation_rad: number } {
  const end = trajectory.waypoints[trajectory.waypoints.length - 1]!;
  return { distance_m: Math.hypot(end.x_m, end.y_m), rotation_rad: Math.abs(end.theta_rad) };
}
