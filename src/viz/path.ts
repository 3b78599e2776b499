/**
 * The planned path as the visualisation needs it: waypoints in the plan frame (the robot's base frame at the
 * plan stamp), the constant twist held between them, and where the plan frame was in odometry when known.
 * Built from a Plan message or from the planner's in-process Plan through the controller's trajectory code,
 * so the drawing and the controller agree on what a plan means.
 */
import type { PlanMsg, Pose } from '../messages/ros';
import { nsToStamp, type TimeNs } from '../messages/time';
import type { Action, Plan } from '../planner/plan';
import { compose, integrateTwist, type BodyTwist, type Pose2D } from '../geometry/se2';
import { trajectoryFromPlan } from '../geometry/trajectory';

export interface PlanPath {
  readonly sequence: number;
  readonly stampNs: TimeNs;
  readonly step_dt_s: number;
  /** The robot's base frame (the plan frame). */
  readonly baseFrameId: string;
  /** n + 1 poses in the plan frame; waypoints[0] is the identity. */
  readonly waypoints: readonly Pose2D[];
  readonly twists: readonly BodyTwist[];
  /** The plan frame in the odometry frame, when the planner knew the robot's pose at the stamp. */
  readonly inputPose?: { readonly frameId: string; readonly pose: Pose2D };
}

export interface PlanPathOptions {
  /** Frame of a plan message's input_pose (the odometry frame); default 'odom'. */
  readonly odomFrameId?: string;
}

/** From a Plan message; throws the controller's InvalidPlanError for a plan it would refuse. */
export function planPathFromMsg(msg: PlanMsg, options: PlanPathOptions = {}): PlanPath {
  const t = trajectoryFromPlan(msg);
  return {
    sequence: t.sequence,
    stampNs: t.stampNs,
    step_dt_s: t.step_dt_s,
    baseFrameId: msg.header.frame_id,
    waypoints: t.waypoints,
    twists: t.twists,
    ...(t.inputPose ? { inputPose: { frameId: options.odomFrameId ?? 'odom', pose: t.inputPose } } : {}),
  };
}

/** From the planner's in-process plan; `inputPose` ties the plan frame to odometry when known. */
export function planPathFromPlan(
  plan: Plan,
  options: { baseFrameId: string; inputPose?: { frameId: string; pose: Pose2D } },
): PlanPath {
  const msg = planMsgFromActions(
    plan.sequence,
    plan.inputStampNs,
    options.baseFrameId,
    plan.stepDtS,
    plan.actions,
  );
  const path = planPathFromMsg(msg);
  return options.inputPose ? { ...path, inputPose: options.inputPose } : path;
}

function planMsgFromActions(
  sequence: number,
  stampNs: TimeNs,
  frameId: string,
  step_dt_s: number,
  actions: readonly Action[],
): PlanMsg {
  const zeroPose: Pose = { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } };
  return {
    header: { stamp: nsToStamp(stampNs), frame_id: frameId },
    sequence,
    episode_id: '',
    instruction: '',
    step_dt_s,
    dx_m: actions.map((a) => a.dx_m),
    dy_m: actions.map((a) => a.dy_m),
    dtheta_rad: actions.map((a) => a.dtheta_rad),
    has_input_pose: false,
    input_pose: zeroPose,
    latency_s: 0,
    untrained_model: false,
    action_source: 'learned',
    action_confidence: -1,
  };
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
export function samplePath(path: PlanPath, samplesPerStep = 4): PathSample[] {
  if (!(Number.isInteger(samplesPerStep) && samplesPerStep >= 1)) {
    throw new RangeError(`samplesPerStep must be a positive integer, got ${samplesPerStep}`);
  }
  const out: PathSample[] = [{ pose: path.waypoints[0]!, t_s: 0 }];
  path.twists.forEach((twist, k) => {
    for (let j = 1; j <= samplesPerStep; j++) {
      const pose =
        j === samplesPerStep
          ? path.waypoints[k + 1]!
          : compose(path.waypoints[k]!, integrateTwist(twist, (path.step_dt_s * j) / samplesPerStep));
      out.push({ pose, t_s: path.step_dt_s * (k + j / samplesPerStep) });
    }
  });
  return out;
}

/** Duration of the whole plan. */
export function pathDuration_s(path: PlanPath): number {
  return path.step_dt_s * path.twists.length;
}
