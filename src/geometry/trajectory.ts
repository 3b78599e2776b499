import { secondsToNs, type TimeNs } from '../messages/time';
import {
  IDENTITY_POSE,
  compose,
  integrateTwist,
  isFinitePose,
  isFiniteTwist,
  twistBetween,
  type BodyTwist,
  type FramedPose,
  type Pose2D,
} from './se2';

/** A plan longer than this is not a SparseVideoNav plan (8 steps); refusing it bounds the work per tick. */
export const MAX_PLAN_STEPS = 64;
/** Steps are 0.25 s at 4 FPS; anything outside [1 ms, 5 s] is a unit or encoding mistake, not a plan. */
export const MIN_STEP_DT_S = 0.001;
export const MAX_STEP_DT_S = 5;

/** One relative motion of a plan, in the robot frame at the start of the step (REP-103). */
export interface PlanStep {
  readonly dx_m: number;
  readonly dy_m: number;
  readonly dtheta_rad: number;
}

/**
 * A plan as the planner states it, before it is checked: the steps to take from the robot's pose at the
 * input stamp, one every `step_dt_s`. The planner builds one in process (planner/plan.ts); a Plan message is
 * converted to one at the message boundary (messages/plan.ts).
 */
export interface PlannedPath {
  readonly sequence: number;
  readonly episodeId: string;
  /** Stamp of the camera frame the plan was made from: step 0 starts here. */
  readonly stampNs: TimeNs;
  /** The robot's base frame; at `stampNs` it is the plan frame. */
  readonly baseFrameId: string;
  readonly step_dt_s: number;
  readonly steps: readonly PlanStep[];
  /** The plan frame in the odometry frame, when the planner knew the robot's pose at the stamp. */
  readonly inputPose?: FramedPose;
}

/**
 * A checked plan as a time-parameterised path in SE(2), the one representation the controller follows, eval
 * scores and viz draws. Waypoint k is the robot pose at `stampNs + k·step` in the *plan frame* (the robot's
 * base frame at the plan stamp); between waypoints the robot holds `twists[k]`, so the path is a chain of
 * circular arcs that passes exactly through every waypoint.
 */
export interface Trajectory {
  readonly sequence: number;
  readonly episodeId: string;
  readonly stampNs: TimeNs;
  readonly baseFrameId: string;
  readonly stepNs: TimeNs;
  readonly step_dt_s: number;
  /** n + 1 poses, waypoints[0] = identity. */
  readonly waypoints: readonly Pose2D[];
  /** n body twists, one per step. */
  readonly twists: readonly BodyTwist[];
  /** Odometry pose at the plan stamp, when the planner knew it: ties the plan frame to the odometry frame. */
  readonly inputPose?: FramedPose;
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

/*
 * The rules a plan must meet, shared with the message converter so that a Plan message is refused under its
 * own field names (what `ros2 topic echo` shows) by the same bounds.
 */

/** The value as a finite number, or InvalidPlanError naming `field`. */
export function requireFinite(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidPlanError(field, value, 'not a finite number');
  }
  return value;
}

export function requireStepCount(n: number, field: string): void {
  if (!(Number.isInteger(n) && n >= 1 && n <= MAX_PLAN_STEPS)) {
    throw new InvalidPlanError(field, n, `must be in [1, ${MAX_PLAN_STEPS}]`);
  }
}

export function requireStepDuration(step_dt_s: unknown, field: string): number {
  if (typeof step_dt_s !== 'number' || !(step_dt_s >= MIN_STEP_DT_S && step_dt_s <= MAX_STEP_DT_S)) {
    throw new InvalidPlanError(field, step_dt_s, `must be in [${MIN_STEP_DT_S}, ${MAX_STEP_DT_S}] s`);
  }
  return step_dt_s;
}

/** Checks a plan and composes its steps into a trajectory; throws InvalidPlanError naming the bad field. */
export function trajectoryFromPlan(plan: PlannedPath): Trajectory {
  const step_dt_s = requireStepDuration(plan.step_dt_s, 'step_dt_s');
  requireStepCount(plan.steps.length, 'steps.length');
  const waypoints: Pose2D[] = [IDENTITY_POSE];
  const twists: BodyTwist[] = [];
  plan.steps.forEach((s, k) => {
    const step = {
      x_m: requireFinite(s.dx_m, `steps[${k}].dx_m`),
      y_m: requireFinite(s.dy_m, `steps[${k}].dy_m`),
      theta_rad: requireFinite(s.dtheta_rad, `steps[${k}].dtheta_rad`),
    };
    const next = compose(waypoints[k]!, step);
    const twist = twistBetween(step, step_dt_s);
    // Finite but absurd actions (1e300 m) overflow when chained; such a plan is as unusable as a NaN one.
    if (!isFinitePose(next)) throw new InvalidPlanError(`waypoint[${k + 1}]`, next, 'overflows');
    if (!isFiniteTwist(twist)) throw new InvalidPlanError(`twist[${k}]`, twist, 'overflows');
    waypoints.push(next);
    twists.push(twist);
  });
  if (plan.inputPose && !isFinitePose(plan.inputPose.pose)) {
    throw new InvalidPlanError('inputPose', plan.inputPose.pose, 'not finite');
  }
  return {
    sequence: plan.sequence,
    episodeId: plan.episodeId,
    stampNs: plan.stampNs,
    baseFrameId: plan.baseFrameId,
    stepNs: secondsToNs(step_dt_s),
    step_dt_s,
    waypoints,
    twists,
    ...(plan.inputPose ? { inputPose: plan.inputPose } : {}),
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

/** A point along the path with its time since the plan stamp. */
export interface PathSample {
  readonly pose: Pose2D;
  readonly t_s: number;
}

/**
 * Points along the path: every waypoint plus `samplesPerStep − 1` points on each arc between them, so a
 * turning plan draws as the curve the controller follows rather than as chords.
 */
export function samplePath(trajectory: Trajectory, samplesPerStep = 4): PathSample[] {
  if (!(Number.isInteger(samplesPerStep) && samplesPerStep >= 1)) {
    throw new RangeError(`samplesPerStep must be a positive integer, got ${samplesPerStep}`);
  }
  const { waypoints, step_dt_s } = trajectory;
  const out: PathSample[] = [{ pose: waypoints[0]!, t_s: 0 }];
  trajectory.twists.forEach((twist, k) => {
    for (let j = 1; j <= samplesPerStep; j++) {
      const pose =
        j === samplesPerStep
          ? waypoints[k + 1]!
          : compose(waypoints[k]!, integrateTwist(twist, (step_dt_s * j) / samplesPerStep));
      out.push({ pose, t_s: step_dt_s * (k + j / samplesPerStep) });
    }
  });
  return out;
}

/** Duration of the whole plan, s. */
export function pathDuration_s(trajectory: Trajectory): number {
  return trajectory.step_dt_s * trajectory.twists.length;
}
