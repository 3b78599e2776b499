import { compose, IDENTITY_POSE, poseFromGround, type Pose2D } from '../../geometry/se2';
import { trajectoryFromPlan } from '../../geometry/trajectory';
import type { PlannerConfig } from '../../config/schema';
import {
  RosTypes,
  type CompressedImage,
  type Path,
  type PlanMsg,
  type PlannerHeartbeatMsg,
  type PlannerStatusMsg,
  type Pose,
  type PoseStamped,
} from '../../messages/ros';
import { nsToStamp, type TimeNs } from '../../messages/time';
import { plannedPathFromPlan, type Plan, type StageTimings } from '../../planner/plan';
import { Qos, type Publisher, type Transport } from '../../transport/transport';
import type { Episode } from './episode';

export interface PlannerPublishers {
  readonly plan: Publisher<PlanMsg>;
  readonly path: Publisher<Path>;
  readonly future: Publisher<CompressedImage>;
  readonly status: Publisher<PlannerStatusMsg>;
  readonly heartbeat: Publisher<PlannerHeartbeatMsg>;
}

/**
 * The planner's outputs and their QoS (the table in README.md says the same):
 * - plan, path, imagined future, status: latched (transient-local, depth 1), so a viewer or operator that
 *   joins late sees the current plan, its path, what the model imagined and why the planner is where it is. Safe
 *   for the plan because the controller reads it volatile (DDS gives a volatile reader no history) and, at its
 *   node boundary, executes a plan only once a live planner is proven by two distinct heartbeats and only if its
 *   input frame was taken after the controller started (planGateRefusal in nodes/controller/node.ts).
 * - heartbeat: volatile, never latched. It means "alive now"; a latched copy would outlive a dead planner.
 * The future was best-effort like a camera stream; at one JPEG per plan it is state, not a stream, and reliable
 * costs nothing (best-effort readers still match a reliable writer).
 */
export function createPublishers(t: Transport, p: PlannerConfig): PlannerPublishers {
  return {
    plan: t.createPublisher<PlanMsg>(p.plan_topic, RosTypes.Plan, Qos.latched),
    path: t.createPublisher<Path>(p.path_topic, RosTypes.Path, Qos.latched),
    future: t.createPublisher<CompressedImage>(p.future_topic, RosTypes.CompressedImage, Qos.latched),
    status: t.createPublisher<PlannerStatusMsg>(p.status_topic, RosTypes.PlannerStatus, Qos.latched),
    heartbeat: t.createPublisher<PlannerHeartbeatMsg>(
      p.heartbeat_topic,
      RosTypes.PlannerHeartbeat,
      Qos.commands,
    ),
  };
}

/** The odometry pose at a plan's input stamp, with the frame it is expressed in (the odometry frame). */
export interface InputPose {
  readonly pose: Pose;
  readonly ground: Pose2D;
  readonly frameId: string;
}

export interface PlanMessageContext {
  readonly episode: Episode;
  /** The robot's base frame (the plan's frame). */
  readonly baseFrameId: string;
  readonly inputPose: InputPose | undefined;
  readonly latencyS: number;
  readonly untrained: boolean;
}

const ZERO_POSE: Pose = { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } };

/** sparse_video_nav/Plan: stamped with the input frame, in the base frame at that instant. */
export function planMessage(plan: Plan, ctx: PlanMessageContext): PlanMsg {
  return {
    header: { stamp: nsToStamp(plan.inputStampNs), frame_id: ctx.baseFrameId },
    sequence: plan.sequence,
    episode_id: ctx.episode.id,
    instruction: plan.instruction,
    step_dt_s: plan.stepDtS,
    dx_m: Float32Array.from(plan.actions, (a) => a.dx_m),
    dy_m: Float32Array.from(plan.actions, (a) => a.dy_m),
    dtheta_rad: Float32Array.from(plan.actions, (a) => a.dtheta_rad),
    has_input_pose: ctx.inputPose !== undefined,
    input_pose: ctx.inputPose?.pose ?? ZERO_POSE,
    latency_s: ctx.latencyS,
    untrained_model: ctx.untrained,
    action_source: plan.actionSource,
    action_confidence: plan.actionConfidence ?? -1,
  };
}

/**
 * nav_msgs/Path of the plan's waypoints (the start pose and one pose per action, each stamped with the instant
 * it should be reached). In the odometry frame when the input pose is known, so the path stays put in Foxglove
 * while the robot walks along it; otherwise in the base frame at the input stamp. The waypoints are the
 * trajectory the controller will follow (geometry/trajectory.ts), so a plan it would refuse throws
 * InvalidPlanError here too rather than drawing a path that will not be driven.
 */
export function pathMessage(plan: Plan, ctx: Omit<PlanMessageContext, 'latencyS' | 'untrained'>): Path {
  const input = ctx.inputPose;
  const trajectory = trajectoryFromPlan(
    plannedPathFromPlan(plan, {
      baseFrameId: ctx.baseFrameId,
      episodeId: ctx.episode.id,
      ...(input ? { inputPose: { frameId: input.frameId, pose: input.ground } } : {}),
    }),
  );
  const origin = trajectory.inputPose?.pose ?? IDENTITY_POSE;
  const frame_id = trajectory.inputPose?.frameId ?? trajectory.baseFrameId;
  const z = input?.pose.position.z ?? 0;
  const poses: PoseStamped[] = trajectory.waypoints.map((local, k) => ({
    header: { stamp: nsToStamp(trajectory.stampNs + BigInt(k) * trajectory.stepNs), frame_id },
    pose: poseFromGround(compose(origin, local), z),
  }));
  return { header: { stamp: nsToStamp(trajectory.stampNs), frame_id }, poses };
}

export interface StatusContext {
  readonly stampNs: TimeNs;
  readonly episode: Episode;
  readonly message: string;
  readonly planSequence: number;
  readonly timings?: StageTimings;
  readonly historyChunks: number;
  readonly executionProvider: string;
  readonly untrained: boolean;
  readonly actionSource: string;
  readonly actionConfidence?: number;
}

/** sparse_video_nav/PlannerStatus: one per plan cycle (with stage latencies) and one per notable event. */
export function statusMessage(ctx: StatusContext): PlannerStatusMsg {
  const t = ctx.timings;
  return {
    header: { stamp: nsToStamp(ctx.stampNs), frame_id: '' },
    plan_sequence: ctx.planSequence,
    episode_id: ctx.episode.id,
    episode_state: ctx.episode.state,
    instruction: ctx.episode.instruction,
    message: ctx.message,
    encode_ms: t?.encodeMs ?? 0,
    history_ms: t?.historyMs ?? 0,
    text_ms: t?.textMs ?? 0,
    dit_ms: t?.ditMs ?? 0,
    action_ms: t?.actionMs ?? 0,
    total_ms: t?.totalMs ?? 0,
    history_chunks: ctx.historyChunks,
    execution_provider: ctx.executionProvider,
    untrained_model: ctx.untrained,
    action_source: ctx.actionSource,
    action_confidence: ctx.actionConfidence ?? -1,
  };
}
