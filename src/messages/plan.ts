/**
 * sparse_video_nav/Plan ↔ the domain plan (geometry/trajectory.ts). The one place that knows the message
 * layout, so the controller, eval, replay and viz read a received plan the same way, and a malformed message
 * is refused under the field names `ros2 topic echo` shows.
 */
import {
  InvalidPlanError,
  requireFinite,
  requireStepCount,
  trajectoryFromPlan,
  type PlanStep,
  type PlannedPath,
  type Trajectory,
} from '../geometry/trajectory';
import { groundPoseFromRos } from '../geometry/se2';
import type { PlanMsg } from './ros';
import { stampProblem, stampToNs, type TimeNs } from './time';

export interface PlanMsgOptions {
  /** Frame of the message's input_pose (the odometry frame, which the message does not carry); default 'odom'. */
  readonly odomFrameId?: string;
}

function stampOf(msg: PlanMsg): TimeNs {
  const problem = stampProblem(msg.header.stamp);
  if (problem) throw new InvalidPlanError(`header.stamp.${problem.field}`, problem.value, problem.reason);
  return stampToNs(msg.header.stamp);
}

function stepsOf(msg: PlanMsg): PlanStep[] {
  for (const field of ['dx_m', 'dy_m', 'dtheta_rad'] as const) {
    const values: unknown = msg[field];
    if (
      typeof values !== 'object' ||
      values === null ||
      typeof (values as ArrayLike<number>).length !== 'number'
    ) {
      throw new InvalidPlanError(field, values, 'not an array');
    }
  }
  const n = msg.dx_m.length;
  requireStepCount(n, 'dx_m.length');
  if (msg.dy_m.length !== n || msg.dtheta_rad.length !== n) {
    throw new InvalidPlanError(
      'dy_m.length/dtheta_rad.length',
      [msg.dy_m.length, msg.dtheta_rad.length],
      `must equal dx_m.length ${n}`,
    );
  }
  return Array.from({ length: n }, (_, k) => ({
    dx_m: requireFinite(msg.dx_m[k], `dx_m[${k}]`),
    dy_m: requireFinite(msg.dy_m[k], `dy_m[${k}]`),
    dtheta_rad: requireFinite(msg.dtheta_rad[k], `dtheta_rad[${k}]`),
  }));
}

/**
 * The domain plan a Plan message states. Checks what belongs to the message (stamp, arrays, their lengths,
 * numbers, the input pose's quaternion); the step duration and overflow are checked by `trajectoryFromPlan`.
 * Throws InvalidPlanError naming the message field.
 */
export function plannedPathFromMsg(msg: PlanMsg, options: PlanMsgOptions = {}): PlannedPath {
  const stampNs = stampOf(msg);
  if (typeof msg.step_dt_s !== 'number')
    throw new InvalidPlanError('step_dt_s', msg.step_dt_s, 'not a number');
  const steps = stepsOf(msg);
  let inputPose: PlannedPath['inputPose'];
  if (msg.has_input_pose) {
    const ground = groundPoseFromRos(msg.input_pose);
    if ('error' in ground) throw new InvalidPlanError('input_pose', msg.input_pose, ground.error);
    inputPose = { frameId: options.odomFrameId ?? 'odom', pose: ground };
  }
  return {
    sequence: msg.sequence,
    episodeId: msg.episode_id,
    stampNs,
    baseFrameId: msg.header.frame_id,
    step_dt_s: msg.step_dt_s,
    steps,
    ...(inputPose ? { inputPose } : {}),
  };
}

/** A received plan as the trajectory the controller would follow; throws InvalidPlanError for one it refuses. */
export function trajectoryFromPlanMsg(msg: PlanMsg, options: PlanMsgOptions = {}): Trajectory {
  return trajectoryFromPlan(plannedPathFromMsg(msg, options));
}
