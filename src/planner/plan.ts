import type { FramedPose } from '../geometry/se2';
import type { PlannedPath } from '../geometry/trajectory';
import type { TimeNs } from '../messages/time';

/** One relative motion between consecutive 4 FPS frames (REP-103, robot frame of the previous step). */
export interface Action {
  dx_m: number;
  dy_m: number;
  dtheta_rad: number;
}

/** What turned the imagined future into motion. */
export type ActionSource = 'learned' | 'geometric';

export interface StageTimings {
  /** VAE encode of the reference clip (the newest history chunk is encoded when its frames arrive). */
  encodeMs: number;
  /** History features (Q-Former + Video-Former). */
  historyMs: number;
  /** Text encoding; 0 when the instruction's embedding was cached. */
  textMs: number;
  /** The UniPC loop: one DiT forward per step. */
  ditMs: number;
  actionMs: number;
  totalMs: number;
}

export interface Plan {
  ok: true;
  sequence: number;
  /** Stamp of the newest camera frame the plan saw. */
  inputStampNs: TimeNs;
  instruction: string;
  actions: Action[];
  actionSource: ActionSource;
  /** How sure the geometric source is (0..1, the weakest step's); undefined for the learned head. */
  actionConfidence?: number;
  stepDtS: number;
  /** The denoised latent as the release returns it: [C, reference + future, h, w], reference re-injected. */
  futureLatents: Float32Array;
  futureDims: readonly [number, number, number, number];
  /** Chunks of `futureLatents` that are the clean reference (the first ones). */
  referenceChunks: number;
  /** `future_chunk_offsets`: future chunk i ends (offset + 1) chunks after the reference. */
  futureOffsets: readonly number[];
  historyChunks: number;
  /** Oldest history chunks left out because the Q-Former's table is full. */
  historyDroppedChunks: number;
  timings: StageTimings;
}

/** A plan cycle that produced nothing usable; the reason says why (never a trajectory with non-finite numbers). */
export interface NoPlan {
  ok: false;
  sequence: number;
  inputStampNs: TimeNs | undefined;
  reason: string;
  kind:
    | 'cancelled'
    | 'no_frames'
    | 'invalid_instruction'
    | 'non_finite'
    | 'inference_error'
    | 'no_motion_estimate'
    /** Refused at the node: the plan fails the controller's checks (step count, step time). */
    | 'invalid_plan';
}

export type PlanOutcome = Plan | NoPlan;

/** Seconds after the plan's input frame at which future chunk i ends (chunks are 1 s at 4 FPS). */
export function futureChunkTimes(offsets: readonly number[], chunkSeconds = 1): number[] {
  return offsets.map((o) => (o + 1) * chunkSeconds);
}

/**
 * The plan as the path the robot is to follow (what its Plan message states), for code in the same process
 * as the planner: `baseFrameId` is the robot's base frame, `inputPose` the plan frame in odometry when known.
 */
export function plannedPathFromPlan(
  plan: Plan,
  where: { readonly baseFrameId: string; readonly episodeId: string; readonly inputPose?: FramedPose },
): PlannedPath {
  return {
    sequence: plan.sequence,
    episodeId: where.episodeId,
    stampNs: plan.inputStampNs,
    baseFrameId: where.baseFrameId,
    step_dt_s: plan.stepDtS,
    steps: plan.actions,
    ...(where.inputPose ? { inputPose: where.inputPose } : {}),
  };
}
